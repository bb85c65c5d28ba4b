"""The sample directory (`headcount.samples.directory`) as the files and operations a directory
team hands over or a test loads into a server:

- an LDIF export of Active Directory (RFC 2849: binary `objectSid` / `objectGUID` and non-ASCII
  values in base64, long lines folded), as `ldifde` or `ldapsearch` write it;
- AD CSV exports, in the two shapes met in practice: PowerShell's
  `Get-ADUser -Properties … | Export-Csv` and `csvde`;
- an LDIF for OpenLDAP `slapd` (inetOrgPerson with `employeeNumber`; no AD attribute);
- for a Samba AD DC: the LDIF of the objects (`ldbadd --controls=relax:0`, which lets the
  sample's SIDs and GUIDs through), the `lastLogonTimestamp` values (`ldbmodify` on sam.ldb while
  the DC is stopped), the `pwdLastSet` / `whenCreated` values (only writable in the partition
  file itself) and the same objects as LDAP add operations (ldap3's `Connection.add`).
"""

from __future__ import annotations

import base64
import csv
import io
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from headcount.samples.directory import (
    BASE_DN,
    ORGANIZATIONAL_UNITS,
    Account,
    Group,
    SampleDirectory,
)

Attribute = tuple[str, str | bytes]
AD_USER_CLASSES = ("top", "person", "organizationalPerson", "user")
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_LDIF_WIDTH = 76
# csvde separates the values of a multi-valued attribute with ";"; Export-Csv would write the
# collection's type name, so the export script joins them itself (`-join '|'`).
CSVDE_MULTIVALUE_SEPARATOR = ";"
POWERSHELL_MULTIVALUE_SEPARATOR = "|"
# Windows PowerShell 5.1's Export-Csv starts with this line unless told -NoTypeInformation.
POWERSHELL_TYPE_LINE = "#TYPE Selected.Microsoft.ActiveDirectory.Management.ADUser"


class CsvShape(StrEnum):
    GET_ADUSER = "get-aduser"
    CSVDE = "csvde"


@dataclass(frozen=True)
class LdapAdd:
    """One add operation: `connection.add(dn, object_class, attributes)` with ldap3."""

    dn: str
    object_class: tuple[str, ...]
    attributes: dict[str, str | list[str]]


def filetime(moment: datetime) -> int:
    """A Windows FILETIME: 100-nanosecond ticks since 1601-01-01 UTC."""
    delta = moment - _FILETIME_EPOCH
    return (delta.days * 86400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def generalized_time(moment: datetime) -> str:
    """LDAP generalized time as AD writes it: "20261127080000.0Z"."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S.0Z")


def sid_bytes(text: str) -> bytes:
    """The binary form of "S-1-5-21-…", as AD stores `objectSid`."""
    parts = text.split("-")
    subs = [int(p) for p in parts[3:]]
    return (bytes([int(parts[1]), len(subs)]) + int(parts[2]).to_bytes(6, "big")
            + b"".join(s.to_bytes(4, "little") for s in subs))


def guid_bytes(text: str) -> bytes:
    """The binary form of a GUID as AD stores `objectGUID` (the first three fields reversed)."""
    return uuid.UUID(text).bytes_le


# --------------------------------------------------------------------------------------------
# LDIF (RFC 2849)


def _safe(value: str) -> bool:
    """SAFE-STRING of RFC 2849, and no trailing space (which readers may drop)."""
    if not value:
        return True
    if value[0] in " :<" or value.endswith(" "):
        return False
    return all(0 < ord(c) < 128 and c not in "\r\n" for c in value)


def _fold(line: str) -> list[str]:
    lines = [line[:_LDIF_WIDTH]]
    rest = line[_LDIF_WIDTH:]
    while rest:
        lines.append(" " + rest[:_LDIF_WIDTH - 1])
        rest = rest[_LDIF_WIDTH - 1:]
    return lines


def ldif_line(name: str, value: str | bytes) -> list[str]:
    """`name: value`, or `name:: base64` for binary and unsafe text, folded at 76 columns."""
    if isinstance(value, str) and _safe(value):
        return _fold(f"{name}: {value}")
    data = value.encode("utf-8") if isinstance(value, str) else value
    return _fold(f"{name}:: {base64.b64encode(data).decode('ascii')}")


def ldif_record(dn: str, attributes: Iterable[Attribute], changetype: str = "") -> str:
    lines = ldif_line("dn", dn)
    if changetype:
        lines.append(f"changetype: {changetype}")
    for name, value in attributes:
        lines.extend(ldif_line(name, value))
    return "\n".join(lines) + "\n\n"


def _modify(dn: str, attributes: Sequence[tuple[str, str]]) -> str:
    """A modify record replacing each attribute."""
    lines = [*ldif_line("dn", dn), "changetype: modify"]
    for name, value in attributes:
        lines += [f"replace: {name}", *ldif_line(name, value), "-"]
    return "\n".join(lines) + "\n\n"


def _present(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in pairs if value]


def _ad_attributes(account: Account) -> list[Attribute]:
    return [
        *(("objectClass", c) for c in AD_USER_CLASSES),
        *_present([
            ("cn", account.cn), ("sn", account.sn), ("givenName", account.given_name),
            ("displayName", account.display_name), ("description", account.description),
            ("mail", account.mail), ("employeeNumber", account.employee_number)]),
        *(("memberOf", group) for group in account.member_of),
        ("userAccountControl", str(account.user_account_control)),
        ("pwdLastSet", str(filetime(account.pwd_last_set))),
        *_present([("lastLogonTimestamp",
                    str(filetime(account.last_logon)) if account.last_logon else "")]),
        ("whenCreated", generalized_time(account.when_created)),
        ("sAMAccountName", account.sam_account_name),
        ("userPrincipalName", account.user_principal_name),
        ("objectGUID", guid_bytes(account.object_guid)),
        ("objectSid", sid_bytes(account.object_sid)),
    ]


def ad_ldif(directory: SampleDirectory) -> str:
    """The user objects as an LDIF export of AD (`memberOf` included, as AD returns it)."""
    return "version: 1\n\n" + "".join(
        ldif_record(account.dn, _ad_attributes(account)) for account in directory.accounts)


def slapd_ldif(directory: SampleDirectory) -> str:
    """The same people for OpenLDAP: the base entry, the OUs, inetOrgPerson entries and
    groupOfNames groups; `sn` (required there) falls back to the account name."""
    base = ldif_record(BASE_DN, [("objectClass", "dcObject"), ("objectClass", "organization"),
                                 ("dc", "headcount"), ("o", "headcount")])
    units = "".join(
        ldif_record(ou, [("objectClass", "organizationalUnit"),
                         ("ou", ou.split(",")[0].removeprefix("OU="))])
        for ou in ORGANIZATIONAL_UNITS)
    people = "".join(ldif_record(a.dn, [
        *(("objectClass", c) for c in ("top", "person", "organizationalPerson", "inetOrgPerson")),
        ("cn", a.cn), ("sn", a.sn or a.sam_account_name), ("uid", a.sam_account_name),
        *_present([("givenName", a.given_name), ("displayName", a.display_name),
                   ("description", a.description), ("mail", a.mail),
                   ("employeeNumber", a.employee_number)]),
    ]) for a in directory.accounts)
    groups = "".join(ldif_record(g.dn, [
        ("objectClass", "groupOfNames"), ("cn", g.cn), ("description", g.description),
        *(("member", m) for m in g.members)]) for g in directory.groups)
    return base + units + people + groups


# --------------------------------------------------------------------------------------------
# AD CSV exports


def _us_date(moment: datetime | None) -> str:
    """How Export-Csv writes a DateTime under en-US: "11/27/2026 8:00:00 AM"."""
    if moment is None:
        return ""
    hour = moment.hour % 12 or 12
    return (f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment:%M:%S} "
            f"{'AM' if moment.hour < 12 else 'PM'}")


GET_ADUSER_COLUMNS = [
    "DistinguishedName", "Enabled", "GivenName", "Name", "ObjectClass", "ObjectGUID",
    "SamAccountName", "SID", "Surname", "UserPrincipalName", "description", "displayName",
    "employeeNumber", "lastLogonTimestamp", "LastLogonDate", "mail", "memberOf", "objectSid",
    "PasswordLastSet", "pwdLastSet", "sn", "userAccountControl", "whenCreated",
]
CSVDE_COLUMNS = [
    "DN", "objectClass", "cn", "sn", "description", "givenName", "displayName", "memberOf",
    "employeeNumber", "userAccountControl", "pwdLastSet", "lastLogonTimestamp", "whenCreated",
    "sAMAccountName", "userPrincipalName", "mail", "objectGUID", "objectSid",
]


def _get_aduser_row(a: Account) -> list[str]:
    last_logon = str(filetime(a.last_logon)) if a.last_logon else ""
    return [
        a.dn, "False" if a.disabled else "True", a.given_name, a.cn, "user", a.object_guid,
        a.sam_account_name, a.object_sid, a.sn, a.user_principal_name, a.description,
        a.display_name, a.employee_number, last_logon, _us_date(a.last_logon), a.mail,
        POWERSHELL_MULTIVALUE_SEPARATOR.join(a.member_of), a.object_sid,
        _us_date(a.pwd_last_set),
        str(filetime(a.pwd_last_set)), a.sn, str(a.user_account_control),
        _us_date(a.when_created),
    ]


def _csvde_row(a: Account) -> list[str]:
    last_logon = str(filetime(a.last_logon)) if a.last_logon else ""
    return [
        a.dn, "user", a.cn, a.sn, a.description, a.given_name, a.display_name,
        CSVDE_MULTIVALUE_SEPARATOR.join(a.member_of), a.employee_number,
        str(a.user_account_control), str(filetime(a.pwd_last_set)), last_logon,
        generalized_time(a.when_created), a.sam_account_name, a.user_principal_name, a.mail,
        f"X'{guid_bytes(a.object_guid).hex()}'", f"X'{sid_bytes(a.object_sid).hex()}'",
    ]


def ad_csv(directory: SampleDirectory, shape: CsvShape) -> str:
    """The user objects as an AD CSV export: Windows PowerShell's Export-Csv writes its #TYPE
    line and quotes every field, csvde only those that need it; binary attributes are strings
    in the first, X'hex' in the second; dates are the machine's culture in the first (en-US,
    UTC here), generalized time in the second."""
    out = io.StringIO()
    if shape is CsvShape.GET_ADUSER:
        out.write(POWERSHELL_TYPE_LINE + "\r\n")
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(GET_ADUSER_COLUMNS)
        writer.writerows(_get_aduser_row(a) for a in directory.accounts)
    else:
        writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(CSVDE_COLUMNS)
        writer.writerows(_csvde_row(a) for a in directory.accounts)
    return out.getvalue()


def write_ad_csv(directory: SampleDirectory, path: Path, shape: CsvShape,
                 encoding: str = "utf-8-sig") -> None:
    """Windows PowerShell 5.1's `Export-Csv -Encoding UTF8` writes a BOM (the default here);
    `csvde -u` writes UTF-16 (encoding "utf-16")."""
    path.write_text(ad_csv(directory, shape), encoding=encoding, newline="")


def write_ad_ldif(directory: SampleDirectory, path: Path) -> None:
    path.write_text(ad_ldif(directory), encoding="utf-8", newline="\n")


# --------------------------------------------------------------------------------------------
# Samba AD DC


def _samba_user(account: Account) -> list[tuple[str, str]]:
    return [
        ("objectClass", "user"),
        *_present([
            ("sAMAccountName", account.sam_account_name),
            ("userPrincipalName", account.user_principal_name),
            ("givenName", account.given_name), ("sn", account.sn),
            ("displayName", account.display_name), ("description", account.description),
            ("mail", account.mail), ("employeeNumber", account.employee_number),
            ("userAccountControl", str(account.user_account_control))]),
    ]


def _samba_group(group: Group) -> list[tuple[str, str]]:
    return [("objectClass", "group"), ("sAMAccountName", group.cn),
            ("description", group.description), *(("member", m) for m in group.members)]


def samba_ldif(directory: SampleDirectory) -> str:
    """The OUs, users and groups for `ldbadd --controls=relax:0 -H sam.ldb` (the DC stopped):
    the relax control accepts the sample's `objectSid` and `objectGUID` (in ldb's text forms);
    `memberOf` is not written, the DC derives it from the groups' `member`."""
    units = "".join(ldif_record(ou, [("objectClass", "organizationalUnit")])
                    for ou in ORGANIZATIONAL_UNITS)
    users = "".join(ldif_record(a.dn, [
        *_samba_user(a), ("objectSid", a.object_sid), ("objectGUID", a.object_guid)],
        changetype="add") for a in directory.accounts)
    groups = "".join(ldif_record(g.dn, [
        *_samba_group(g), ("objectSid", g.object_sid), ("objectGUID", g.object_guid)],
        changetype="add") for g in directory.groups)
    return units + users + groups


def samba_logons_ldif(directory: SampleDirectory) -> str:
    """`lastLogonTimestamp` of the accounts, for `ldbmodify -H sam.ldb` with the DC stopped
    (Samba 4.17 also takes it from Administrator over LDAP, one modify per account)."""
    return "".join(_modify(a.dn, [("lastLogonTimestamp", str(filetime(a.last_logon)))])
                   for a in directory.accounts if a.last_logon)


def samba_system_ldif(directory: SampleDirectory) -> str:
    """`pwdLastSet` and `whenCreated`, for `ldbmodify` on the domain's partition file
    (sam.ldb.d/DC=…ldb): over LDAP and through sam.ldb's modules, the DC only takes 0 or -1
    for pwdLastSet and never whenCreated."""
    return "".join(_modify(a.dn, [("pwdLastSet", str(filetime(a.pwd_last_set))),
                                  ("whenCreated", generalized_time(a.when_created))])
                   for a in directory.accounts)


def samba_operations(directory: SampleDirectory) -> list[LdapAdd]:
    """The OUs, users and groups as LDAP add operations (the DC picks SIDs and GUIDs)."""
    def grouped(pairs: Iterable[tuple[str, str]]) -> dict[str, str | list[str]]:
        out: dict[str, str | list[str]] = {}
        for name, value in pairs:
            if name == "objectClass":
                continue
            if name == "member":
                members = out.setdefault(name, [])
                assert isinstance(members, list)
                members.append(value)
            else:
                out[name] = value
        return out

    return [
        *(LdapAdd(ou, ("organizationalUnit",), {}) for ou in ORGANIZATIONAL_UNITS),
        *(LdapAdd(a.dn, AD_USER_CLASSES, grouped(_samba_user(a))) for a in directory.accounts),
        *(LdapAdd(g.dn, ("top", "group"), grouped(_samba_group(g))) for g in directory.groups),
    ]
