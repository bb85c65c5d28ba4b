"""The sample project with a managed system: a second connector, `AD`, reads a CSV export of
directory accounts (the columns the LDAP, LDIF and AD CSV readers give) built from the sample's
identities — owned ones, orphans (some with a likely owner by name), service accounts, accounts
of leavers, accounts without logon for 200 days — so that each count of the review is known."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from headcount.accounts import review
from headcount.config.managed_system import ManagedSystem
from headcount.config.model import Project
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository.runs import RunRecord
from webproject import make_project

CONFIG = """
connectors:
  - identifier: AD
    display_name: Active Directory
    connections:
      - identifier: AD_Accounts
        path: data/ad_accounts.csv
    entity_types:
      - identifier: AD_User
        display_name: AD account
        icon: person
        resource_display_name: "{displayName}"
        keys: [sAMAccountName]
        list_columns: [sAMAccountName, displayName, employeeNumber, description]
        properties:
          - {identifier: dn}
          - {identifier: sAMAccountName}
          - {identifier: displayName}
          - {identifier: givenName}
          - {identifier: sn}
          - {identifier: employeeNumber}
          - {identifier: description}
          - {identifier: accountDisabled, type: bool}
          - {identifier: lastLogonTimestamp, type: datetime}
          - {identifier: whenCreated, type: datetime}
    mappings:
      - entity_type: AD_User
        connection: AD_Accounts
        key: sAMAccountName
        columns: {dn: dn, sAMAccountName: sAMAccountName, displayName: displayName,
                  givenName: givenName, sn: sn, employeeNumber: employeeNumber,
                  description: description, accountDisabled: accountDisabled,
                  lastLogonTimestamp: lastLogonTimestamp, whenCreated: whenCreated}

resource_types:
  - identifier: AD_User_Owner
    source: AD_User
    target: Directory_User
    owner: true
    correlation:
      - {source: [employeeNumber], target: [EmployeeId]}
      - {source: [sn, givenName], target: [LastName, FirstName], confidence: 60}

managed_systems:
  - identifier: AD
    display_name: Active Directory
    connector: AD
    accounts: AD_User
    owner: AD_User_Owner
    disabled: accountDisabled
    last_logon: lastLogonTimestamp
    created: whenCreated
    service_accounts: {description: "service*"}
"""
HEADER = ["dn", "sAMAccountName", "displayName", "givenName", "sn", "employeeNumber",
          "description", "accountDisabled", "lastLogonTimestamp", "whenCreated"]


@dataclass
class Built:
    """The accounts written, by what the review must find."""

    owned: dict[str, str] = field(default_factory=dict)  # account → owner identity
    orphans: list[str] = field(default_factory=list)
    suggested: dict[str, str] = field(default_factory=dict)  # orphan → its likely owner
    service: list[str] = field(default_factory=list)
    owner_left: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    total: int = 0


def stamp(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def identities(engine: sa.Engine) -> list[dict[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT data FROM resources WHERE entity_type = "
                                    "'Directory_User' ORDER BY key")).scalars().all()
    return [json.loads(r) for r in rows]


# One instant per test session: an export written again must not differ by the seconds between.
SESSION_NOW = datetime.now(UTC).replace(microsecond=0)


def write_accounts(folder: Path, people: list[dict[str, str]], now: datetime | None = None
                   ) -> Built:
    """The AD export of the sample: 3 of every 4 active identities own an account (one in 10
    of them unused for 200 days, one more never logged on and created 200 days ago, one
    disabled and unused — not counted), leavers keep theirs (one disabled — not counted),
    orphans of active identities by name only (a suggestion), orphans of nobody, service
    accounts. Written twice in a session, the export is the same file: the instants are the
    session's, not the clock's at each writing."""
    now = now or SESSION_NOW
    recent, old = stamp(now - timedelta(days=3)), stamp(now - timedelta(days=200))
    created = stamp(now - timedelta(days=800))
    built = Built()
    rows: list[list[str]] = []

    def add(sam: str, given: str, sn: str, number: str, description: str = "",
            disabled: bool = False, logon: str = recent, made: str = created) -> None:
        rows.append([f"CN={sam},OU=People,DC=example,DC=org", sam, f"{given} {sn}".strip(),
                     given, sn, number, description, "true" if disabled else "false", logon,
                     made])

    active = [p for p in people if p.get("State") == "active"]
    left = [p for p in people if p.get("State") == "left"]
    for i, p in enumerate(active):
        sam = f"u{p['Identifier'].lower()}"
        if i % 4 == 3:
            # No employeeNumber: found by the names at confidence 60 only, an orphan with
            # its suggested owner.
            add(sam, p["FirstName"], p["LastName"], "")
            built.orphans.append(sam)
            built.suggested[sam] = p["Identifier"]
            continue
        logon = old if i % 10 == 1 else recent
        add(sam, p["FirstName"], p["LastName"], p["EmployeeId"], logon=logon)
        built.owned[sam] = p["Identifier"]
        if logon == old:
            built.unused.append(sam)
    first = active[0]
    add("neverused", first["FirstName"], first["LastName"], first["EmployeeId"], logon="",
        made=old)
    built.owned["neverused"] = first["Identifier"]
    built.unused.append("neverused")
    add("disabledold", first["FirstName"], first["LastName"], first["EmployeeId"],
        disabled=True, logon=old)
    built.owned["disabledold"] = first["Identifier"]
    for i, p in enumerate(left):
        sam = f"u{p['Identifier'].lower()}"
        add(sam, p["FirstName"], p["LastName"], p["EmployeeId"], disabled=i == 1)
        built.owned[sam] = p["Identifier"]
        if i != 1:
            built.owner_left.append(sam)
    for n in range(1, 6):
        add(f"orphan{n}", f"Nobody{n}", "Unknown", "")
        built.orphans.append(f"orphan{n}")
    for n in range(1, 4):
        add(f"svc-app{n}", "", "", "", description=f"Service account of app {n}")
        built.service.append(f"svc-app{n}")
    path = folder / "data" / "ad_accounts.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    built.total = len(rows)
    return built


def make_accounts_project(folder: Path, url: str, people: int = 200) -> tuple[Path, Built]:
    """The sample project, synchronized, with the AD connector's accounts written (not yet
    synchronized: `sync_ad`)."""
    config = folder.parent / f"{folder.name}-ad.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    make_project(folder, url, people=people, extra=[config])
    ctx = ProjectContext.open(folder, url)
    try:
        built = write_accounts(folder, identities(ctx.engine))
    finally:
        ctx.close()
    return folder, built


def sync_ad(folder: Path, url: str) -> RunRecord:
    ctx = ProjectContext.open(folder, url)
    try:
        return synchronize(ctx, SyncRequest("AD"))
    finally:
        ctx.close()


@dataclass
class Accounts:
    folder: Path
    url: str
    built: Built
    ctx: ProjectContext
    project: Project
    system: ManagedSystem

    def counts(self) -> review.Counts:
        with self.ctx.engine.connect() as conn:
            return review.counts(conn, self.system, datetime.now(UTC))

    def keys(self, category: str | None = None, **filters: object) -> list[str]:
        with self.ctx.engine.connect() as conn:
            _, rows = review.page(conn, self.system, datetime.now(UTC), category, limit=None,
                                  **filters)  # type: ignore[arg-type]
        return [r.key for r in rows]

    def row(self, key: str) -> review.AccountRow:
        with self.ctx.engine.connect() as conn:
            found = review.account(conn, self.system, key, datetime.now(UTC))
        assert found is not None
        return found
