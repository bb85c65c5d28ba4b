"""Directory accounts for the tests and the directory benchmark: a set of accounts written as
slapd entries, an LDIF file, a PowerShell Export-Csv and a csvde export; and a project whose
connector `AD` reads them through one of the directory packages, synchronized by `headcount
sync` as a person would."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from typer.testing import CliRunner

from headcount.cli.app import app
from headcount.config.loader import load_project_config
from headcount.connections.directory import filetime_of, sid_bytes
from headcount.connections.ldif import ldif_text
from headcount.project import ProjectContext
from headcount.repository import deployments

ATTRIBUTES = ["uid", "cn", "sn", "mail", "employeeNumber", "memberOf", "objectSid",
              "objectGUID", "userAccountControl", "lastLogonTimestamp"]
DOMAIN_SID = "S-1-5-21-3623811015-3361044348-30300820"
FIRST_LOGON = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
ENTITY_TYPE = """
    entity_types:
      - identifier: AD_User
        keys: [Login]
        properties:
          - {identifier: Login}
          - {identifier: DN}
          - {identifier: Name}
          - {identifier: Surname}
          - {identifier: Mail}
          - {identifier: EmployeeNumber}
          - {identifier: Groups}
          - {identifier: Sid}
          - {identifier: Guid}
          - {identifier: Uac, type: int}
          - {identifier: Disabled, type: bool}
          - {identifier: LastLogon, type: datetime}
    mappings:
      - entity_type: AD_User
        connection: Accounts
        key: Login
        columns: {Login: uid, DN: dn, Name: cn, Surname: sn, Mail: mail,
                  EmployeeNumber: employeeNumber, Groups: memberOf, Sid: objectSid,
                  Guid: objectGUID, Uac: userAccountControl, Disabled: accountDisabled,
                  LastLogon: lastLogonTimestamp}
"""


@dataclass
class Account:
    """One directory account, its values as a directory holds them (SID and GUID binary)."""

    uid: str
    cn: str
    sn: str
    mails: list[str]
    employee_number: str | None
    groups: list[str]
    rid: int
    disabled: bool
    last_logon: datetime | None
    extra: dict[str, list[str]] = field(default_factory=dict)

    def dn(self, base: str) -> str:
        return f"uid={self.uid},{base}"

    def values(self) -> dict[str, list[str | bytes]]:
        out: dict[str, list[str | bytes]] = {
            "uid": [self.uid], "cn": [self.cn], "sn": [self.sn], "mail": list(self.mails),
            "memberOf": list(self.groups),
            "objectSid": [sid_bytes(f"{DOMAIN_SID}-{self.rid}")],
            "objectGUID": [uuid.UUID(int=self.rid * 7919).bytes_le],
            "userAccountControl": [str(514 if self.disabled else 512)],
        }
        if self.employee_number:
            out["employeeNumber"] = [self.employee_number]
        if self.last_logon:
            out["lastLogonTimestamp"] = [str(filetime_of(self.last_logon))]
        out.update({k: list(v) for k, v in self.extra.items()})
        return {k: v for k, v in out.items() if v}


def accounts(n: int, base_groups: str = "ou=groups,dc=headcount,dc=test", first: int = 1
             ) -> list[Account]:
    """Accounts `first` to n: some with two mails, groups 0–2, some disabled, some that never
    logged on, some without employee number (service accounts), names with accents. A large
    directory is made a slice at a time (bench/directory_bench.py)."""
    out = []
    for i in range(first, n + 1):
        groups = [f"cn=g{g},{base_groups}" for g in range(i % 3)]
        out.append(Account(
            uid=f"u{i:06d}", cn=f"Zoë Person{i}" if i % 5 == 0 else f"Ann Person{i}",
            sn=f"Person{i}", mails=[f"u{i}@example.org"] + ([f"alias{i}@example.org"]
                                                              if i % 4 == 0 else []),
            employee_number=None if i % 10 == 0 else f"E{i:06d}", groups=groups,
            rid=1000 + i, disabled=i % 7 == 0,
            last_logon=None if i % 6 == 0 else FIRST_LOGON + timedelta(hours=i)))
    return out


def slapd_ldif(items: Sequence[Account], base: str, with_base: bool = True) -> str:
    """The entries as ldapadd / slapadd take them (objectClass included)."""
    entries: list[tuple[str, dict[str, list[str | bytes]]]] = []
    if with_base:
        ou = base.split(",", 1)[0].split("=", 1)[1]
        entries.append((base, {"objectClass": ["organizationalUnit"], "ou": [ou]}))
    for a in items:
        entries.append((a.dn(base), {"objectClass": ["inetOrgPerson", "headcountAdAccount"],
                                     **a.values()}))
    return ldif_text(entries).removeprefix("version: 1\n\n")


def export_ldif(items: Sequence[Account], base: str) -> str:
    """The accounts as an LDIF export (ldapsearch -LLL, ldifde), without the OU."""
    return ldif_text((a.dn(base), a.values()) for a in items)


def powershell_csv(items: Sequence[Account], base: str) -> str:
    """Get-ADUser -Properties * | Select …, @{n='memberOf';e={$_.memberOf -join '|'}} |
    Export-Csv: a #TYPE line, every field quoted, PowerShell's column names."""
    out = io.StringIO()
    out.write("#TYPE Selected.Microsoft.ActiveDirectory.Management.ADUser\r\n")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(["DistinguishedName", "SamAccountName", "uid", "Name", "cn", "Surname",
                     "mail", "EmployeeNumber", "memberOf", "SID", "ObjectGUID", "Enabled",
                     "userAccountControl", "lastLogonTimestamp", "LastLogonDate"])
    for a in items:
        logon = str(filetime_of(a.last_logon)) if a.last_logon else ""
        shown = a.last_logon.strftime("%m/%d/%Y %I:%M:%S %p").lstrip("0") if a.last_logon \
            else ""
        writer.writerow([a.dn(base), a.uid, a.uid, a.cn, a.cn, a.sn, "|".join(a.mails),
                         a.employee_number or "", "|".join(a.groups), f"{DOMAIN_SID}-{a.rid}",
                         str(uuid.UUID(int=a.rid * 7919)), str(not a.disabled),
                         str(514 if a.disabled else 512), logon, shown])
    return out.getvalue()


def csvde_csv(items: Sequence[Account], base: str) -> str:
    """csvde -f: DN first, binary values as X'hex', multi-values joined by ';'."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["DN", "objectClass", "uid", "cn", "sn", "mail", "employeeNumber",
                     "memberOf", "objectSid", "objectGUID", "userAccountControl",
                     "lastLogonTimestamp"])
    for a in items:
        values = a.values()
        sid, guid = values["objectSid"][0], values["objectGUID"][0]
        assert isinstance(sid, bytes)
        assert isinstance(guid, bytes)
        writer.writerow([a.dn(base), "top;person;organizationalPerson;user", a.uid, a.cn, a.sn,
                         ";".join(a.mails), a.employee_number or "", ";".join(a.groups),
                         f"X'{sid.hex()}'", f"X'{guid.hex()}'",
                         str(514 if a.disabled else 512),
                         str(filetime_of(a.last_logon)) if a.last_logon else ""])
    return out.getvalue()


class DirectoryProject:
    """A project whose connector AD reads accounts through `connection` (YAML lines of the
    connection's settings), deployed and synchronized through the CLI."""

    def __init__(self, folder: Path, url: str, connection: str) -> None:
        self.folder, self.url = folder, url
        (folder / "config").mkdir(parents=True, exist_ok=True)
        (folder / "data").mkdir(exist_ok=True)
        self.ctx = ProjectContext.open(folder, url)
        self.reconfigure(connection)

    def reconfigure(self, connection: str) -> None:
        """Write and deploy the configuration with these connection settings."""
        thresholds = "{max_inserted: 100000, max_updated: 100000, max_deleted: 100000, " \
                     "max_inserted_pct: 1000, max_updated_pct: 1000, max_deleted_pct: 1000}"
        (self.folder / "config" / "ad.yaml").write_text(
            "connectors:\n  - identifier: AD\n"
            f"    thresholds: {thresholds}\n"
            "    connections:\n      - identifier: Accounts\n"
            + "".join(f"        {line}\n" for line in connection.strip().splitlines())
            + f"        attributes: [{', '.join(ATTRIBUTES)}]\n"
            + ENTITY_TYPE, encoding="utf-8")
        with self.ctx.engine.begin() as conn:
            deployments.deploy(conn, load_project_config(self.folder))

    def close(self) -> None:
        self.ctx.close()

    def sync(self, *args: str) -> tuple[int, str]:
        """`headcount sync AD -q …`: exit code and output."""
        result = CliRunner().invoke(app, ["--project", str(self.folder), "sync", "AD", "-q",
                                          *args], env={"HEADCOUNT_DATABASE_URL": self.url})
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.output

    def accounts(self) -> dict[str, dict[str, Any]]:
        """Login → the stored values of each AD_User."""
        with self.ctx.engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT key, data FROM resources WHERE entity_type = 'AD_User'")).all()
        return {key: json.loads(data) for key, data in rows}

    def last_run(self) -> dict[str, Any]:
        with self.ctx.engine.connect() as conn:
            row = conn.execute(sa.text(
                "SELECT state, counters, files, message FROM runs ORDER BY id DESC")).first()
        assert row is not None
        return {"state": row[0], "counters": json.loads(row[1] or "{}"),
                "files": json.loads(row[2] or "[]"), "message": row[3]}
