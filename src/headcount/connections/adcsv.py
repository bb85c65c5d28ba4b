"""The AD CSV connection: an Active Directory export, as PowerShell writes it (`Get-ADUser
-Properties * | Export-Csv`: a `#TYPE` line, its own column names, dates in the culture of the
machine) or as `csvde` does (DN first, binary values as X'hex', multi-values joined by ';').
Columns come out under their LDAP names, values decoded as LDAP and LDIF values are
(connections.directory), so one mapping reads the three alike."""

from __future__ import annotations

import binascii
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from headcount.config.directory import AdCsvConnection
from headcount.config.model import Connection
from headcount.connections.csvfile import effective_encoding, read_csv
from headcount.connections.directory import (
    DISABLED,
    DN,
    GENERALIZED_TIME_ATTRIBUTES,
    UAC,
    ValueFormatError,
    account_disabled,
    iso_utc,
    text_value,
    value_text,
)
from headcount.connections.reader import LINE, SourceTable
from headcount.errors import Location, SourceError

COLLECTION = "Microsoft.ActiveDirectory.Management.ADPropertyValueCollection"
# PowerShell's names of LDAP attributes (Get-ADUser's "extended properties"), lower case.
POWERSHELL_NAMES = {
    "distinguishedname": DN, "sid": "objectSid", "created": "whenCreated",
    "modified": "whenChanged", "surname": "sn", "emailaddress": "mail",
    "officephone": "telephoneNumber", "lastlogondate": "lastLogonTimestamp",
    "passwordlastset": "pwdLastSet", "accountexpirationdate": "accountExpires",
    "lastbadpasswordattempt": "badPasswordTime", "accountlockouttime": "lockoutTime",
    # The same attribute, spelled as LDAP does (columns are found in any case; named like this).
    "objectguid": "objectGUID", "samaccountname": "sAMAccountName", "givenname": "givenName",
    "userprincipalname": "userPrincipalName", "displayname": "displayName",
    "employeeid": "employeeID", "employeenumber": "employeeNumber",
}
# Columns whose PowerShell form is a local date, not the attribute's raw value.
_LOCAL_DATES = frozenset({"whencreated", "whenchanged", "created", "modified", "lastlogondate",
                          "passwordlastset", "accountexpirationdate", "lastbadpasswordattempt",
                          "accountlockouttime", "modifytimestamp", "createtimestamp"})


def read_adcsv(path: Path, connection: AdCsvConnection) -> SourceTable:
    encoding = effective_encoding(path, connection.encoding)
    with path.open("r", encoding=encoding, newline="") as handle:
        first = handle.readline().strip()
    powershell = first.startswith("#")  # Windows PowerShell's `#TYPE …` line
    csv = Connection(identifier=connection.identifier, path=str(path), encoding=encoding,
                     lines_to_skip=1 if powershell else 0)
    table = read_csv(path, csv)
    if not table.header:
        return table
    csvde = not powershell and table.header[0].lower() == DN
    powershell = powershell or not csvde
    sources = _columns(table.header, powershell)
    found: dict[str, str] = {}
    for column in table.header:
        found.setdefault(_canonical(column, powershell).lower(), _canonical(column, powershell))
    wanted = connection.attributes or list(found.values())
    header: list[str] = []
    columns: dict[str, pl.Series] = {}
    warnings = list(table.warnings)
    for attribute in [DN, *(a for a in wanted if a.lower() != DN)]:
        source = sources.get(attribute.lower())
        if source is None:
            if connection.attributes is not None and attribute.lower() != DISABLED.lower():
                warnings.append(f"attribute `{attribute}` is not a column of the export")
            values: list[str | None] = [None] * table.frame.height
        else:
            decode = _decoder(attribute, source, powershell, connection)
            values = _decoded(table, source, decode, path)
        header.append(attribute)
        columns[attribute] = pl.Series(attribute, values, dtype=pl.String)
    asked = connection.attributes is None or DISABLED.lower() in {a.lower() for a in wanted}
    disabled = _disabled(columns, table.frame,
                         sources.get("enabled") if powershell and asked else None)
    if disabled is not None:
        name = next((h for h in header if h.lower() == DISABLED.lower()), DISABLED)
        if name not in header:
            header.append(name)
        columns[name] = disabled
    frame = pl.DataFrame([*columns.values(), table.frame[LINE]])
    return SourceTable(table.file, header, frame, table.rejected, warnings, table.header_line,
                       table.spanning)


def _disabled(columns: dict[str, pl.Series], frame: pl.DataFrame, enabled: str | None
              ) -> pl.Series | None:
    """accountDisabled from userAccountControl when it is read, else from PowerShell's Enabled
    (given when accountDisabled is asked for); None when neither."""
    uac = next((s for name, s in columns.items() if name.lower() == UAC.lower()), None)
    if uac is not None:
        values = [account_disabled(v) if v and v.lstrip("-").isdigit() else None
                  for v in uac.to_list()]
    elif enabled is not None:
        flip = {"true": "false", "false": "true"}
        values = [flip.get((v or "").strip().lower()) for v in frame[enabled].to_list()]
    else:
        return None
    return pl.Series(DISABLED, values, dtype=pl.String)


def _canonical(column: str, powershell: bool) -> str:
    if column.lower() == DN:
        return DN
    return POWERSHELL_NAMES.get(column.lower(), column) if powershell else column


def _columns(header: list[str], powershell: bool) -> dict[str, str]:
    """LDAP attribute (lower case) → the column holding it. A column named as the attribute
    wins over PowerShell's name for it (-Properties * exports both whenCreated and Created)."""
    out: dict[str, str] = {}
    for column in header:
        out[column.lower()] = column
    if powershell:
        for column in header:
            out.setdefault(POWERSHELL_NAMES.get(column.lower(), column).lower(), column)
    return out


def _decoder(attribute: str, column: str, powershell: bool, connection: AdCsvConnection
             ) -> Callable[[str], str]:
    separator = connection.multivalue_separator
    if not powershell:
        if attribute.lower() == DN:
            return lambda v: v

        def csvde(value: str) -> str:
            return separator.join(_csvde_value(attribute, part) for part in value.split(";"))
        return csvde
    if column.lower() in _LOCAL_DATES:
        zone = ZoneInfo(connection.local_timezone)
        formats = connection.local_date_formats
        return lambda v: _local_date(v, formats, zone, attribute)
    if separator == "|" or attribute.lower() == DN:
        return lambda v: text_value(attribute, v)
    return lambda v: separator.join(text_value(attribute, p) for p in v.split("|"))


def _csvde_value(attribute: str, value: str) -> str:
    if value.startswith("X'") and value.endswith("'"):
        try:
            return value_text(attribute, binascii.unhexlify(value[2:-1]))
        except binascii.Error:
            raise ValueFormatError(f"`{value[:40]}` is not X'hex'") from None
    return text_value(attribute, value)


def _local_date(value: str, formats: list[str], zone: ZoneInfo, attribute: str) -> str:
    text = value.strip()
    if text.isdigit() or (attribute.lower() in GENERALIZED_TIME_ATTRIBUTES
                          and text[-1:] == "Z"):
        return text_value(attribute, text)
    for fmt in formats:
        try:
            return iso_utc(datetime.strptime(text, fmt).replace(tzinfo=zone))
        except ValueError:
            continue
    raise ValueFormatError(f"`{text}` is not a date as {' or '.join(formats)} "
                           "(`local_date_formats`)")


def _decoded(table: SourceTable, column: str, decode: Callable[[str], str], path: Path
             ) -> list[str | None]:
    out: list[str | None] = []
    for line, value in zip(table.frame[LINE].to_list(), table.frame[column].to_list(),
                           strict=True):
        if value is None:
            out.append(None)
            continue
        if value in (COLLECTION, "System.Byte[]", "System.Object[]"):
            raise SourceError(
                f"column `{column}` holds `{value}`: PowerShell exported the name of a "
                "collection, not its values — export it joined, e.g. Select-Object "
                f"@{{n='{column}';e={{$_.{column} -join '|'}}}}, or leave it out of "
                "`attributes`", Location(path, line, column))
        try:
            out.append(decode(value) or None)
        except ValueFormatError as exc:
            raise SourceError(f"column `{column}`: {exc}", Location(path, line, column)
                              ) from None
    return out
