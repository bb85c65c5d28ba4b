"""Directory values as text, decoded the same way by the LDAP, LDIF and AD CSV readers: one
mapping of columns works for a server, an LDIF file and an AD export of the same directory.

- `objectSid` → "S-1-5-21-…"; `objectGUID` → AD's string form of the GUID;
- Windows FILETIME attributes → ISO 8601 UTC, 0 and "never" → empty;
- LDAP generalized time → ISO 8601 UTC;
- `userAccountControl` stays its integer, and adds the column `accountDisabled`;
- other values that are not UTF-8 text → base64; multi-values joined with a separator."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import polars as pl

from headcount.connections.reader import LINE
from headcount.errors import SourceError

DN = "dn"
DISABLED = "accountDisabled"
UAC = "userAccountControl"
SID_ATTRIBUTES = frozenset({"objectsid", "sidhistory", "securityidentifier"})
GUID_ATTRIBUTES = frozenset({"objectguid", "msexchmailboxguid"})
FILETIME_ATTRIBUTES = frozenset({"lastlogontimestamp", "lastlogon", "pwdlastset", "accountexpires",
                                 "badpasswordtime", "lockouttime"})
GENERALIZED_TIME_ATTRIBUTES = frozenset({"whencreated", "whenchanged", "modifytimestamp",
                                         "createtimestamp"})
# Windows FILETIME: 100-nanosecond ticks since 1601-01-01 UTC; this largest value means never.
FILETIME_NEVER = 0x7FFFFFFFFFFFFFFF
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
# userAccountControl bits (MS-ADTS 2.2.16), by the names Microsoft documents them under.
UAC_FLAGS: dict[str, int] = {
    "SCRIPT": 0x1,
    "ACCOUNTDISABLE": 0x2,
    "HOMEDIR_REQUIRED": 0x8,
    "LOCKOUT": 0x10,
    "PASSWD_NOTREQD": 0x20,
    "PASSWD_CANT_CHANGE": 0x40,
    "ENCRYPTED_TEXT_PWD_ALLOWED": 0x80,
    "TEMP_DUPLICATE_ACCOUNT": 0x100,
    "NORMAL_ACCOUNT": 0x200,
    "INTERDOMAIN_TRUST_ACCOUNT": 0x800,
    "WORKSTATION_TRUST_ACCOUNT": 0x1000,
    "SERVER_TRUST_ACCOUNT": 0x2000,
    "DONT_EXPIRE_PASSWORD": 0x10000,
    "MNS_LOGON_ACCOUNT": 0x20000,
    "SMARTCARD_REQUIRED": 0x40000,
    "TRUSTED_FOR_DELEGATION": 0x80000,
    "NOT_DELEGATED": 0x100000,
    "USE_DES_KEY_ONLY": 0x200000,
    "DONT_REQ_PREAUTH": 0x400000,
    "PASSWORD_EXPIRED": 0x800000,
    "TRUSTED_TO_AUTH_FOR_DELEGATION": 0x1000000,
    "PARTIAL_SECRETS_ACCOUNT": 0x4000000,
}
_GENERALIZED = re.compile(
    r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,](\d+))?(Z|[+-]\d{2}(?:\d{2})?)?")


class ValueFormatError(ValueError):
    """A value that is not what its attribute holds (a SID of the wrong length…)."""


def sid_text(data: bytes) -> str:
    """A binary security identifier as "S-1-5-21-…"."""
    if len(data) < 8 or len(data) != 8 + 4 * data[1]:
        raise ValueFormatError(f"{len(data)} bytes are not a security identifier")
    authority = int.from_bytes(data[2:8], "big")
    subs = [int.from_bytes(data[8 + 4 * i:12 + 4 * i], "little") for i in range(data[1])]
    return "-".join(["S", str(data[0]), str(authority), *map(str, subs)])


def sid_bytes(text: str) -> bytes:
    """The binary form of "S-1-…" (how AD stores it): the inverse of sid_text."""
    parts = text.split("-")
    if len(parts) < 3 or parts[0].upper() != "S" or not all(p.isdigit() for p in parts[1:]):
        raise ValueFormatError(f"`{text}` is not a security identifier")
    subs = [int(p) for p in parts[3:]]
    return bytes([int(parts[1]), len(subs)]) + int(parts[2]).to_bytes(6, "big") + b"".join(
        s.to_bytes(4, "little") for s in subs)


def guid_text(data: bytes) -> str:
    """A binary objectGUID in AD's string form: its first three fields are little-endian."""
    if len(data) != 16:
        raise ValueFormatError(f"{len(data)} bytes are not a GUID")
    return str(uuid.UUID(bytes_le=data))


def guid_bytes(text: str) -> bytes:
    return uuid.UUID(text).bytes_le


def filetime_text(value: int | str) -> str:
    """A Windows FILETIME (an integer of 100 ns ticks) as ISO 8601 UTC; 0 and never → ""."""
    ticks = int(value)
    if ticks <= 0 or ticks >= FILETIME_NEVER:
        return ""
    try:
        moment = _FILETIME_EPOCH + timedelta(microseconds=ticks // 10)
    except OverflowError:
        return ""  # past year 9999: as good as never
    return iso_utc(moment)


def filetime_of(moment: datetime) -> int:
    """The FILETIME of a moment (for tests and generators)."""
    delta = moment.astimezone(UTC) - _FILETIME_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def generalized_time_text(value: str) -> str:
    """An LDAP generalized time ("20260501100000.0Z", "2026050112+0200") as ISO 8601 UTC."""
    m = _GENERALIZED.fullmatch(value.strip())
    if m is None:
        raise ValueFormatError(f"`{value}` is not a generalized time")
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute or 0),
                          int(second or 0), tzinfo=UTC)
    except ValueError as exc:
        raise ValueFormatError(f"`{value}` is not a generalized time: {exc}") from None
    if fraction and not second:
        # A fraction of the last unit given: of an hour or a minute.
        unit = 60 if minute else 3600
        moment += timedelta(seconds=int(float(f"0.{fraction}") * unit))
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5] or 0))
        moment -= sign * offset
    return iso_utc(moment)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def uac_flags(value: int | str) -> list[str]:
    """The named flags set in a userAccountControl value, in bit order."""
    bits = int(value)
    return [name for name, bit in UAC_FLAGS.items() if bits & bit]


def account_disabled(value: int | str) -> str:
    return "true" if int(value) & UAC_FLAGS["ACCOUNTDISABLE"] else "false"


def value_text(attribute: str, data: bytes) -> str:
    """One value of an attribute as read from LDAP or LDIF (bytes) as text."""
    low = attribute.lower()
    if low in SID_ATTRIBUTES:
        return sid_text(data)
    if low in GUID_ATTRIBUTES:
        return guid_text(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii")
    return text_value(attribute, text)


def text_value(attribute: str, text: str) -> str:
    """One value that is already text (an LDAP string, a cell of an AD export) decoded by its
    attribute: FILETIME and generalized times to ISO 8601."""
    low = attribute.lower()
    if low in FILETIME_ATTRIBUTES and text.strip().lstrip("-").isdigit():
        return filetime_text(text)
    if low in GENERALIZED_TIME_ATTRIBUTES and _GENERALIZED.fullmatch(text.strip()):
        return generalized_time_text(text)
    return text


def decoder(attribute: str) -> Callable[[bytes], str]:
    """value_text for one attribute, chosen once: a search decodes millions of values."""
    low = attribute.lower()
    if low in SID_ATTRIBUTES:
        return sid_text
    if low in GUID_ATTRIBUTES:
        return guid_text
    if low in FILETIME_ATTRIBUTES or low in GENERALIZED_TIME_ATTRIBUTES:
        return lambda data: value_text(attribute, data)

    def plain(data: bytes) -> str:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(data).decode("ascii")
    return plain


@dataclass
class Entries:
    """Directory entries gathered for a SourceTable: per entry its line (the `dn:` line of an
    LDIF file, the entry's rank for a server) and its values by attribute."""

    attributes: Sequence[str] | None
    separator: str
    # The column name of each attribute (lower case → as the connection names it).
    names: dict[str, str] = field(default_factory=dict)
    rows: list[dict[str, str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)
    _decoders: dict[str, Callable[[bytes], str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The columns the connection lists, in its order and spelling.
        for name in [DN, *(self.attributes or [])]:
            self.names.setdefault(name.lower(), name)
        if UAC.lower() in self.names:
            self._column(DISABLED)

    def _column(self, name: str) -> str | None:
        low = name.lower()
        found = self.names.get(low)
        if found is None and (self.attributes is None or low in (DN, DISABLED.lower())):
            found = self.names[low] = name  # every attribute is read: a column as first seen
        return found

    def add(self, line: int, dn: str, values: Mapping[str, Iterable[str]]) -> None:
        """One entry, its values already text."""
        row = {DN: dn}
        separator = self.separator
        for attribute, texts in values.items():
            name = self._column(attribute)
            if name is None:
                continue  # an attribute the connection does not read
            listed = [t for t in texts if t != ""]
            if not listed:
                continue
            row[name] = separator.join(listed)
            if name.lower() == UAC.lower() and listed[0].lstrip("-").isdigit():
                row[self._column(DISABLED) or DISABLED] = account_disabled(listed[0])
        self.lines.append(line)
        self.rows.append(row)
        self.digest.update("\x1e".join(f"{k}\x1f{v}" for k, v in row.items()).encode()
                           + b"\n")

    def add_raw(self, line: int, dn: str, values: Mapping[str, Sequence[bytes]],
                where: str) -> None:
        """One entry as bytes (LDAP, LDIF), decoded attribute by attribute."""
        texts: dict[str, list[str]] = {}
        for attribute, raw in values.items():
            if self.attributes is not None and attribute.lower() not in self.names:
                continue  # asked for the high-water mark only, or not asked for at all
            decode = self._decoders.get(attribute)
            if decode is None:
                decode = self._decoders[attribute] = decoder(attribute)
            try:
                texts[attribute] = [decode(v) for v in raw]
            except ValueFormatError as exc:
                raise SourceError(f"{where}: entry {dn}: attribute {attribute}: {exc}") from None
        self.add(line, dn, texts)

    @property
    def header(self) -> list[str]:
        return list(self.names.values())

    def frame(self) -> pl.DataFrame:
        data = {name: pl.Series(name, [row.get(name) for row in self.rows], dtype=pl.String)
                for name in self.names.values()}
        data[LINE] = pl.Series(LINE, self.lines, dtype=pl.Int64)
        return pl.DataFrame(data)

    def checksum(self) -> str:
        return self.digest.hexdigest()
