"""Directory values as text: SID, GUID, FILETIME, generalized time, userAccountControl."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headcount.connections.directory import (
    FILETIME_NEVER,
    UAC_FLAGS,
    ValueFormatError,
    account_disabled,
    filetime_of,
    filetime_text,
    generalized_time_text,
    guid_bytes,
    guid_text,
    sid_bytes,
    sid_text,
    text_value,
    uac_flags,
    value_text,
)

# The SID and GUID of Microsoft's documentation examples, in binary and string forms.
ADMIN_SID = bytes.fromhex("010500000000000515000000a065cf7e784b9b5fe77c8770f4010000")
GUID = bytes.fromhex("c02a4a7f8b0a2d4fa2f1d7b1e2c3a4b5")


def test_a_sid_reads_as_its_string_form() -> None:
    assert sid_text(ADMIN_SID) == "S-1-5-21-2127521184-1604012920-1887927527-500"
    assert sid_text(bytes.fromhex("0101000000000005" "12000000")) == "S-1-5-18"


def test_a_guid_reads_in_ad_byte_order() -> None:
    # The first three fields are little-endian: the bytes 7f4a2ac0 read as 7f4a2ac0 reversed.
    assert guid_text(GUID) == "7f4a2ac0-0a8b-4f2d-a2f1-d7b1e2c3a4b5"


@pytest.mark.parametrize("data", [b"", b"\x01\x05" + b"\x00" * 7, b"\x01" * 15])
def test_binary_of_the_wrong_length_is_an_error(data: bytes) -> None:
    with pytest.raises(ValueFormatError):
        sid_text(data) if len(data) != 15 else guid_text(data)


@given(st.integers(0, 255), st.integers(0, 2**48 - 1),
       st.lists(st.integers(0, 2**32 - 1), max_size=15))
def test_sid_round_trips(revision: int, authority: int, subs: list[int]) -> None:
    text = "-".join(["S", str(revision), str(authority), *map(str, subs)])
    assert sid_text(sid_bytes(text)) == text


@given(st.uuids())
def test_guid_round_trips(value: uuid.UUID) -> None:
    assert guid_text(guid_bytes(str(value))) == str(value)


def test_filetime_reads_as_utc() -> None:
    # 13,300,000,000 s after 1601 is 1,655,526,400 s after 1970.
    assert filetime_text("133000000000000000") == "2022-06-18T04:26:40Z"
    assert filetime_text(116444736000000000) == "1970-01-01T00:00:00Z"


@pytest.mark.parametrize("never", ["0", str(FILETIME_NEVER), "-1"])
def test_filetime_zero_and_never_are_empty(never: str) -> None:
    assert filetime_text(never) == ""


@given(st.datetimes(min_value=datetime(1700, 1, 1), max_value=datetime(9000, 1, 1),
                    timezones=st.just(UTC)))
def test_filetime_round_trips_to_the_second(moment: datetime) -> None:
    moment = moment.replace(microsecond=0)
    assert filetime_text(filetime_of(moment)) == moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(("value", "iso"), [
    ("20260501100000Z", "2026-05-01T10:00:00Z"),
    ("20260501100000.0Z", "2026-05-01T10:00:00Z"),
    ("20260501120000+0200", "2026-05-01T10:00:00Z"),
    ("202605011000Z", "2026-05-01T10:00:00Z"),
    ("2026050110.5Z", "2026-05-01T10:30:00Z"),
    ("20260501083000-0130", "2026-05-01T10:00:00Z"),
])
def test_generalized_time_reads_as_utc(value: str, iso: str) -> None:
    assert generalized_time_text(value) == iso


@pytest.mark.parametrize("value", ["2026-05-01", "20261301000000Z", "yesterday"])
def test_a_generalized_time_that_is_not_one_is_an_error(value: str) -> None:
    with pytest.raises(ValueFormatError):
        generalized_time_text(value)


@given(st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 30),
                    timezones=st.just(UTC)),
       st.integers(-14 * 60, 14 * 60))
def test_generalized_time_with_an_offset_is_the_same_instant(moment: datetime, minutes: int
                                                             ) -> None:
    local = moment.replace(microsecond=0) + timedelta(minutes=minutes)
    sign = "-" if minutes < 0 else "+"
    zone = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    text = local.strftime("%Y%m%d%H%M%S") + zone
    assert generalized_time_text(text) == moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_user_account_control_flags() -> None:
    assert uac_flags(514) == ["ACCOUNTDISABLE", "NORMAL_ACCOUNT"]
    assert uac_flags("66048") == ["NORMAL_ACCOUNT", "DONT_EXPIRE_PASSWORD"]
    assert account_disabled(514) == "true"
    assert account_disabled("512") == "false"


@given(st.sets(st.sampled_from(sorted(UAC_FLAGS))))
def test_every_named_flag_reads_back(names: set[str]) -> None:
    value = sum(UAC_FLAGS[n] for n in names)
    assert set(uac_flags(value)) == names
    assert account_disabled(value) == ("true" if "ACCOUNTDISABLE" in names else "false")


def test_values_decode_by_attribute_name_in_any_case() -> None:
    assert value_text("OBJECTSID", ADMIN_SID).startswith("S-1-5-21-")
    assert value_text("objectguid", GUID) == "7f4a2ac0-0a8b-4f2d-a2f1-d7b1e2c3a4b5"
    assert value_text("lastLogonTimestamp", b"116444736000000000") == "1970-01-01T00:00:00Z"
    assert value_text("whenCreated", b"20260501100000.0Z") == "2026-05-01T10:00:00Z"
    assert value_text("cn", "Zoë".encode()) == "Zoë"
    # Other binary values (a photo…) as base64, the way LDIF writes them.
    assert value_text("jpegPhoto", b"\xff\xd8\xff") == "/9j/"
    assert text_value("description", "20260501100000Z") == "20260501100000Z"
