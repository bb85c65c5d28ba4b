"""The sample directory's files: an LDIF export of AD as RFC 2849 has it, the two AD CSV
shapes, the LDIF for slapd and what loads Samba — one directory, the same values in each."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from headcount.samples.directory import (
    ORGANIZATIONAL_UNITS,
    Account,
    SampleDirectory,
    sample_directory,
)
from headcount.samples.directoryfiles import (
    CSVDE_COLUMNS,
    CSVDE_MULTIVALUE_SEPARATOR,
    GET_ADUSER_COLUMNS,
    POWERSHELL_MULTIVALUE_SEPARATOR,
    POWERSHELL_TYPE_LINE,
    CsvShape,
    ad_ldif,
    filetime,
    generalized_time,
    guid_bytes,
    ldif_line,
    samba_logons_ldif,
    samba_operations,
    samba_system_ldif,
    sid_bytes,
    slapd_ldif,
    write_ad_csv,
    write_ad_ldif,
)

Entry = dict[str, list[str | bytes]]


@cache
def directory() -> SampleDirectory:
    return sample_directory()


def parse_ldif(text: str) -> list[tuple[str, Entry]]:
    """RFC 2849 as a reader sees it: folded lines joined, `::` values base64-decoded (text
    values as UTF-8 where they are, bytes otherwise)."""
    records: list[tuple[str, Entry]] = []
    for block in text.split("\n\n"):
        lines: list[str] = []
        for line in block.split("\n"):
            if line.startswith(" "):
                lines[-1] += line[1:]
            elif line:
                lines.append(line)
        if not lines or lines[0].startswith("version:"):
            continue
        entry: Entry = {}
        for line in lines:
            name, _, value = line.partition(":")
            decoded: str | bytes
            if value.startswith(":"):
                data = base64.b64decode(value[1:].strip())
                try:
                    decoded = data.decode("utf-8")
                except UnicodeDecodeError:
                    decoded = data
            else:
                decoded = value[1:] if value.startswith(" ") else value
            entry.setdefault(name, []).append(decoded)
        dn = entry.pop("dn")[0]
        assert isinstance(dn, str)
        records.append((dn, entry))
    return records


def test_ldif_lines_follow_rfc_2849() -> None:
    assert ldif_line("sn", "Martin") == ["sn: Martin"]
    assert ldif_line("sn", "Garçon") == ["sn:: " + base64.b64encode("Garçon".encode()).decode()]
    assert ldif_line("description", ": starts with a colon")[0].startswith("description:: ")
    assert ldif_line("description", "ends with a space ")[0].startswith("description:: ")
    folded = ldif_line("description", "x" * 200)
    assert all(len(line) <= 76 for line in folded)
    assert all(line.startswith(" ") for line in folded[1:])
    assert folded[0] + "".join(line[1:] for line in folded[1:]) == "description: " + "x" * 200


def test_the_ad_ldif_holds_every_account_with_its_ad_values(tmp_path: Path) -> None:
    path = tmp_path / "ad_users.ldif"
    write_ad_ldif(directory(), path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("version: 1\n\n")
    assert all(len(line) <= 76 for line in text.splitlines())
    records = dict(parse_ldif(text))
    assert len(records) == len(directory().accounts)
    accented = [a for a in directory().accounts if not a.dn.isascii()]
    assert accented
    assert f"dn:: {base64.b64encode(accented[0].dn.encode()).decode()}" \
        in text.replace("\n ", "")
    for account in directory().accounts:
        entry = records[account.dn]
        assert entry["objectSid"] == [sid_bytes(account.object_sid)]
        assert uuid.UUID(bytes_le=_bytes(entry["objectGUID"][0])) == uuid.UUID(
            account.object_guid)
        assert entry["userAccountControl"] == [str(account.user_account_control)]
        assert entry["lastLogonTimestamp"] == [str(filetime(_logon(account)))]
        assert entry["pwdLastSet"] == [str(filetime(account.pwd_last_set))]
        assert entry["whenCreated"] == [generalized_time(account.when_created)]
        assert entry["memberOf"] == list(account.member_of)
        assert entry.get("employeeNumber", [""]) == [account.employee_number]
        assert entry["sAMAccountName"] == [account.sam_account_name]


def _bytes(value: str | bytes) -> bytes:
    assert isinstance(value, bytes)
    return value


def _logon(account: Account) -> datetime:
    assert account.last_logon is not None
    return account.last_logon


def test_windows_time_formats() -> None:
    assert filetime(datetime(1601, 1, 1, tzinfo=UTC)) == 0
    # (11644473600 s from 1601 to 1970 + the Unix time of 2026-11-27 08:00 UTC) × 10⁷
    assert filetime(datetime(2026, 11, 27, 8, tzinfo=UTC)) == (11644473600 + 1795766400) * 10**7
    assert generalized_time(datetime(2026, 11, 27, 8, 5, 9, tzinfo=UTC)) == "20261127080509.0Z"
    assert sid_bytes("S-1-5-21-1-2-3-500").hex() == (
        "010500000000000515000000010000000200000003000000f4010000")
    assert guid_bytes("00112233-4455-6677-8899-aabbccddeeff").hex() == (
        "33221100554477668899aabbccddeeff")


def test_get_aduser_export(tmp_path: Path) -> None:
    path = tmp_path / "ad_users.csv"
    write_ad_csv(directory(), path, CsvShape.GET_ADUSER)
    raw = path.read_bytes()
    type_line, table = raw.decode("utf-8-sig").split("\r\n", 1)
    assert raw.startswith(b"\xef\xbb\xbf#TYPE ")
    assert type_line == POWERSHELL_TYPE_LINE
    assert table.startswith('"DistinguishedName","Enabled",')
    rows = list(csv.DictReader(io.StringIO(table, newline="")))
    assert list(rows[0]) == GET_ADUSER_COLUMNS
    assert len(rows) == len(directory().accounts)
    by_dn = {row["DistinguishedName"]: row for row in rows}
    for account in directory().accounts:
        row = by_dn[account.dn]
        assert row["Enabled"] == ("False" if account.disabled else "True")
        assert row["ObjectGUID"] == account.object_guid
        assert row["SID"] == row["objectSid"] == account.object_sid
        assert row["lastLogonTimestamp"] == str(filetime(_logon(account)))
        assert row["memberOf"].split(POWERSHELL_MULTIVALUE_SEPARATOR) == list(account.member_of)
        assert row["employeeNumber"] == account.employee_number
    unused = next(a for a in directory().accounts if a.category == "unused")
    assert by_dn[unused.dn]["LastLogonDate"] == "5/11/2026 8:00:00 AM"


def test_csvde_export(tmp_path: Path) -> None:
    path = tmp_path / "ad_users.csv"
    write_ad_csv(directory(), path, CsvShape.CSVDE, encoding="utf-16")
    raw = path.read_bytes()
    assert raw.startswith(b"\xff\xfeD\x00N\x00,\x00")  # csvde -u: UTF-16 with its BOM
    text = raw.decode("utf-16")
    assert text.split("\r\n", 1)[0] == ",".join(CSVDE_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    by_dn = {row["DN"]: row for row in rows}
    assert len(by_dn) == len(directory().accounts)
    for account in directory().accounts:
        row = by_dn[account.dn]
        assert row["objectSid"] == f"X'{sid_bytes(account.object_sid).hex()}'"
        assert row["objectGUID"] == f"X'{guid_bytes(account.object_guid).hex()}'"
        assert row["whenCreated"] == generalized_time(account.when_created)
        assert row["userAccountControl"] == str(account.user_account_control)
        assert row["memberOf"].split(CSVDE_MULTIVALUE_SEPARATOR) == list(account.member_of)


def test_slapd_ldif_has_inetorgperson_entries_only() -> None:
    records = parse_ldif(slapd_ldif(directory()))
    dns = [dn for dn, _ in records]
    assert dns[1:1 + len(ORGANIZATIONAL_UNITS)] == list(ORGANIZATIONAL_UNITS)
    people = [entry for _, entry in records if "inetOrgPerson" in entry["objectClass"]]
    assert len(people) == len(directory().accounts)
    for entry in people:
        assert entry["sn"]
        assert entry["cn"]
        assert not {"userAccountControl", "objectSid", "objectGUID", "memberOf"} & set(entry)
    numbers = sorted(str(e["employeeNumber"][0]) for e in people if "employeeNumber" in e)
    assert numbers == sorted(a.employee_number for a in directory().accounts
                             if a.employee_number)


def test_what_loads_samba() -> None:
    built = directory()
    operations = samba_operations(built)
    assert len(operations) == len(ORGANIZATIONAL_UNITS) + len(built.accounts) + len(built.groups)
    assert {op.dn for op in operations} >= {a.dn for a in built.accounts}
    logons = dict(parse_ldif(samba_logons_ldif(built)))
    assert len(logons) == len(built.accounts)
    system = dict(parse_ldif(samba_system_ldif(built)))
    account = built.accounts[0]
    assert system[account.dn]["pwdLastSet"] == [str(filetime(account.pwd_last_set))]


def test_the_files_do_not_depend_on_the_hash_seed() -> None:
    script = ("import hashlib; from headcount.samples.directory import sample_directory; "
              "from headcount.samples.directoryfiles import ad_ldif; "
              "print(hashlib.sha256(ad_ldif(sample_directory(people=300, accounts=240))"
              ".encode()).hexdigest())")
    digests = {
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                       check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2")
    }
    expected = hashlib.sha256(ad_ldif(sample_directory(people=300, accounts=240)).encode())
    assert digests == {expected.hexdigest() + "\n"}
