"""The BER of LDAP search responses, read from bytes written here by hand (the slapd tests read
a real server's)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headcount.connections import ber


def tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n < 0x80:
        return bytes([tag, n]) + value
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + value


def entry_message(message_id: int, dn: str, values: dict[str, list[bytes]]) -> bytes:
    attributes = b"".join(
        tlv(0x30, tlv(0x04, name.encode()) + tlv(0x31, b"".join(tlv(0x04, v) for v in vs)))
        for name, vs in values.items())
    body = tlv(0x04, dn.encode()) + tlv(0x30, attributes)
    return tlv(0x30, tlv(0x02, message_id.to_bytes(2, "big", signed=True))
               + tlv(ber.ENTRY, body))


def done_message(message_id: int, code: int, cookie: bytes | None) -> bytes:
    body = tlv(0x0A, bytes([code])) + tlv(0x04, b"") + tlv(0x04, b"all is well")
    controls = b""
    if cookie is not None:
        value = tlv(0x30, tlv(0x02, b"\x00") + tlv(0x04, cookie))
        control = tlv(0x30, tlv(0x04, b"1.2.840.113556.1.4.319") + tlv(0x04, value))
        controls = tlv(0xA0, control)
    return tlv(0x30, tlv(0x02, bytes([message_id])) + tlv(ber.DONE, body) + controls)


values_strategy = st.dictionaries(
    st.from_regex(r"[a-zA-Z][a-zA-Z0-9-]{0,10}", fullmatch=True),
    st.lists(st.binary(max_size=300), min_size=1, max_size=4), max_size=6)


@given(st.integers(1, 30000), st.text(max_size=200), values_strategy)
def test_an_entry_reads_back(message_id: int, dn: str,
                             values: dict[str, list[bytes]]) -> None:
    number, op, body, controls = ber.message(entry_message(message_id, dn, values))
    assert (number, op, controls) == (message_id, ber.ENTRY, None)
    assert ber.entry(body) == (dn, values)


@pytest.mark.parametrize("cookie", [b"\x01\x02next-page", b"", None])
def test_the_end_of_a_page_gives_its_cookie(cookie: bytes | None) -> None:
    number, op, body, controls = ber.message(done_message(7, 0, cookie))
    assert (number, op) == (7, ber.DONE)
    assert ber.done(body, controls) == ber.Done(0, "", "all is well", cookie or b"")


@pytest.mark.parametrize("data", [b"", b"\x30", b"\x30\x05\x02\x01", b"\x04\x00",
                                  b"\x30\x85\x00\x00\x00\x00\x01\x00"])
def test_bytes_that_are_no_message_are_an_error(data: bytes) -> None:
    with pytest.raises(ber.BerError):
        ber.message(data)
