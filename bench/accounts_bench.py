"""Managed systems' accounts (issue 10, SPEC §10, §14): 100,000 directory accounts read and
correlated to 100,000 identities (≤ 30 s), and the orphans page over them (≤ 300 ms server time).

1. the workforce template with 100,000 identities (Directory_User) written directly — the
   accounts are what is measured, not HR;
2. an AD export as CSV (the columns the LDAP, LDIF and AD CSV readers give) of as many accounts:
   most with their owner's employeeNumber, orphans found by name only (a suggested owner),
   orphans of nobody, service accounts, accounts of leavers, accounts unused for 200 days;
   With `--source slapd` (the default) the same accounts are loaded into a throw-away OpenLDAP
   server (tests/slapd.py) and read over LDAP with a paged search; with `--source csv`, from
   the CSV file;
3. `headcount sync AD`'s run: read, prepare, apply, then the owners' correlation (its step
   `owners`), timed; the floor of the read, an `ldapsearch` of the same entries into a file;
   and the floor of the correlation: the same keys read from the repository and joined in a
   plain dict, in the same run;
4. the orphans page, `GET /api/systems/AD/accounts?category=orphan` and the counts, server
   side through the ASGI app in process, median of --repeat calls.

Run: .venv/bin/python bench/accounts_bench.py --accounts 100000 [--source slapd|csv]
     [--database-url URL] [--keep DIR] [--json OUT] [--repeat N]
(with a PostgreSQL URL, a fresh database is created on that server and dropped afterwards)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from accountsproject import CONFIG, HEADER, stamp
from headcount.accounts import review
from headcount.config.loader import load_project_config
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import deployments, users
from headcount.repository.apply import apply_changes
from headcount.repository.bulk import raw_rows
from headcount.repository.database import begin_write
from headcount.repository.naming import Naming
from headcount.repository.schema import resources
from headcount.samples import hrfiles
from headcount.samples.directoryfiles import filetime, generalized_time, ldif_record
from headcount.samples.vocabulary import FIRST_NAMES, LAST_NAMES
from headcount.sync.changes import RESOURCE_SCHEMA, ChangeSet
from headcount.web.app import create_app
from memory import Child, PhaseMemory, phase_memory, run_child
from slapd import READER, READER_PASSWORD, SUFFIX, SlapdServer
from sync_bench import drop_postgres, fresh_postgres
from webproject import PASSWORD, login
from workflow_bench import ServerTimer, median_ms

BASE = f"ou=accounts,{SUFFIX}"
ATTRIBUTES = ["sAMAccountName", "displayName", "givenName", "sn", "employeeNumber", "description",
              "userAccountControl", "lastLogonTimestamp", "whenCreated"]
PASSWORD_ENV = "HEADCOUNT_BENCH_LDAP_PASSWORD"
# Out of every 100 accounts: what the review must find.
ORPHANS_BY_NAME, ORPHANS, SERVICE, LEAVERS, UNUSED = 5, 3, 1, 1, 4
BATCH = 100_000


def person(i: int) -> tuple[str, str, str]:
    """Identifier, first name, last name of identity i: names repeat (homonyms exist)."""
    first = FIRST_NAMES[i % len(FIRST_NAMES)]
    last = LAST_NAMES[(i // len(FIRST_NAMES)) % len(LAST_NAMES)]
    return f"E{i:07d}", first, last


def identity_rows(numbers: range) -> list[dict[str, Any]]:
    rows = []
    for i in numbers:
        key, first, last = person(i)
        data = {"Identifier": key, "EmployeeId": key, "FirstName": first, "LastName": last,
                "State": "left" if i % 100 == 0 else "active"}
        rows.append({"kind": "insert", "entity_type": "Directory_User", "key": key,
                     "data": json.dumps(data), "after": None, "hash": 0,
                     "connection": "bench", "line": None})
    return rows


def build(folder: Path, url: str, count: int) -> dict[str, int]:
    """The project, its identities written directly, the AD export; the counts built in."""
    (folder / "config").mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    shutil.copyfile(Path(hrfiles.__file__).with_name("directory.yaml"),
                    folder / "config" / "directory.yaml")
    # The workforce template and the AD connector of the tests' sample, without HR.
    (folder / "config" / "ad.yaml").write_text(CONFIG, encoding="utf-8")
    ctx = ProjectContext.open(folder, url)
    start = time.perf_counter()
    try:
        with begin_write(ctx.engine) as conn:
            deployments.deploy(conn, load_project_config(folder))
            users.add_user(conn, "admin", PASSWORD, "administrator")
            naming = Naming(deployments.require_latest(conn)[1])
            # A batch at a time: a million identities' rows at once are a gigabyte of dicts.
            for batch in range(0, count, BATCH):
                apply_changes(conn, ChangeSet(pl.DataFrame(
                    identity_rows(range(batch, min(batch + BATCH, count))),
                    schema=RESOURCE_SCHEMA)), 0, naming)
    finally:
        ctx.close()
    print(f"{count:,} identities written in {time.perf_counter() - start:.1f} s")
    return write_accounts(folder, count)


def write_accounts(folder: Path, count: int) -> dict[str, int]:
    now = datetime.now(UTC)
    recent, old = stamp(now - timedelta(days=2)), stamp(now - timedelta(days=200))
    made = stamp(now - timedelta(days=900))
    built = dict.fromkeys(("orphan", "orphan_suggested", "service", "owner_left", "unused"), 0)
    with (folder / "data" / "ad_accounts.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(count):
            key, first, last = person(i)
            kind = i % 100
            number, description, logon = key, "", recent
            if kind < ORPHANS_BY_NAME:
                number = ""
                built["orphan"] += 1
                built["orphan_suggested"] += 1
            elif kind < ORPHANS_BY_NAME + ORPHANS:
                number, first, last = "", f"Nobody{i}", "Unknown"
                built["orphan"] += 1
            elif kind < ORPHANS_BY_NAME + ORPHANS + SERVICE:
                number, first, last, description = "", "", "", f"service account {i}"
                built["service"] += 1
            elif kind < ORPHANS_BY_NAME + ORPHANS + SERVICE + UNUSED:
                logon = old
                built["unused"] += 1
            sam = f"a{i:07d}"
            writer.writerow([f"CN={sam},OU=People,DC=bench,DC=example", sam,
                             f"{first} {last}".strip(), first, last, number, description,
                             "false", logon, made])
    # Every 100th identity has left (and account i of that kind is an orphan by name): each
    # leaver has a second, enabled account, owned through its employeeNumber.
    with (folder / "data" / "ad_accounts.csv").open("a", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        for i in range(0, count, 100):
            key, first, last = person(i)
            sam = f"l{i:07d}"
            writer.writerow([f"CN={sam},OU=Leavers,DC=bench,DC=example", sam,
                             f"{first} {last}", first, last, key, "", "false", recent, made])
            built["owner_left"] += 1
    return built


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def slapd_entries(folder: Path) -> Path:
    """The accounts of the CSV export as OpenLDAP entries (the tests' AD schema), for slapadd."""
    out = folder / "accounts.ldif"
    with (folder / "data" / "ad_accounts.csv").open(encoding="utf-8", newline="") as source, \
            out.open("w", encoding="utf-8") as ldif:
        ldif.write(ldif_record(BASE, [("objectClass", "organizationalUnit"), ("ou", "accounts")]))
        for row in csv.DictReader(source):
            sam = row["sAMAccountName"]
            values = [("objectClass", "inetOrgPerson"), ("objectClass", "headcountAdAccount"),
                      ("cn", sam), ("sn", row["sn"] or sam), ("sAMAccountName", sam),
                      ("userAccountControl", "514" if row["accountDisabled"] == "true" else "512"),
                      ("lastLogonTimestamp", str(filetime(_instant(row["lastLogonTimestamp"])))),
                      ("whenCreated", generalized_time(_instant(row["whenCreated"])))]
            values += [(name, row[name]) for name in ("givenName", "displayName",
                                                      "employeeNumber", "description")
                       if row[name]]
            ldif.write(ldif_record(f"cn={sam},{BASE}", values))
    return out


def read_over_ldap(folder: Path, server: SlapdServer) -> None:
    """The AD connector reads the server instead of the CSV file: same mapping, same columns."""
    config = folder / "config" / "ad.yaml"
    text = config.read_text(encoding="utf-8")
    csv_connection = "      - identifier: AD_Accounts\n        path: data/ad_accounts.csv\n"
    assert csv_connection in text
    config.write_text(text.replace(csv_connection, (
        "      - identifier: AD_Accounts\n        package: ldap\n"
        f"        url: {server.url}\n        bind_dn: \"{READER}\"\n"
        f"        password_env: {PASSWORD_ENV}\n        base_dn: \"{BASE}\"\n"
        "        filter: \"(objectClass=headcountAdAccount)\"\n        page_size: 1000\n"
        f"        attributes: [{', '.join(ATTRIBUTES)}]\n")), encoding="utf-8")
    os.environ[PASSWORD_ENV] = READER_PASSWORD


def ldapsearch_floor(server: SlapdServer, out: Path) -> Child:
    """ldapsearch writing the same entries to a file (the server and the wire): its seconds
    and its own peak RSS."""
    with out.open("wb") as handle:
        done = run_child(["ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H", server.url,
                          "-D", READER, "-w", READER_PASSWORD, "-b", BASE, "-E",
                          "pr=1000/noprompt", "(objectClass=headcountAdAccount)", *ATTRIBUTES],
                         stdout=handle)
    if done.returncode != 0:
        raise SystemExit(f"ldapsearch failed ({done.returncode})")
    return done


def floor_join(ctx: ProjectContext) -> tuple[float, int]:
    """The least a correlation does: the accounts' and identities' values read from the
    repository, parsed, and the account's employeeNumber looked up in a dict of EmployeeId."""
    start = time.perf_counter()
    with ctx.engine.connect() as conn:
        people = raw_rows(conn, sa.select(resources.c.key, resources.c.data)
                          .where(resources.c.entity_type == "Directory_User"))
        accounts = raw_rows(conn, sa.select(resources.c.key, resources.c.data)
                            .where(resources.c.entity_type == "AD_User"))
    index = {json.loads(d).get("EmployeeId"): k for k, d in people}
    found = sum(1 for _, d in accounts if index.get(json.loads(d).get("employeeNumber")))
    return time.perf_counter() - start, found


def pages(folder: Path, url: str, repeat: int) -> dict[str, Any]:
    app = create_app(folder, url)
    timer = ServerTimer(app)
    client = TestClient(timer)
    out: dict[str, Any] = {}
    try:
        login(client, "admin")
        for label, path, accept in (
                ("GET /systems/AD (the orphans page)", "/systems/AD", "text/html"),
                ("GET /systems/AD?category=orphan&suggested=true&page=20",
                 "/systems/AD?category=orphan&suggested=true&page=20", "text/html"),
                ("GET /api/systems/AD/accounts?category=orphan",
                 "/api/systems/AD/accounts?category=orphan", "application/json"),
                ("GET /api/systems (the counts)", "/api/systems", "application/json")):
            def get(path: str = path, accept: str = accept) -> float:
                answer = client.get(path, headers={"Accept": accept})
                assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
                return timer.last_ms

            get()  # the first request of a route builds its models and templates
            out[label] = median_ms(get, repeat)
    finally:
        client.close()
        app.state.headcount.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000,
                        help="accounts, and as many identities")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep", type=Path, default=None, help="keep the project here")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--source", choices=("slapd", "csv"), default="slapd",
                        help="read the accounts from an OpenLDAP server (default) or a CSV file")
    args = parser.parse_args()
    if args.accounts < 100:
        sys.exit("--accounts must be at least 100")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="accounts-bench-"))
    url = fresh_postgres(args.database_url) if args.database_url else \
        f"sqlite:///{folder / 'headcount.db'}"
    server: SlapdServer | None = None
    read_floor = None
    memory: dict[str, PhaseMemory] = {}
    searched: Child | None = None
    try:
        with phase_memory() as memory["build"]:
            built = build(folder, url, args.accounts)
        if args.source == "slapd":
            start = time.perf_counter()
            server = SlapdServer.start(folder / "slapd", slapd_entries(folder))
            print(f"slapd loaded (slapadd) in {time.perf_counter() - start:.1f} s")
            read_over_ldap(folder, server)
            searched = ldapsearch_floor(server, folder / "ldapsearch.ldif")
            read_floor = searched.seconds
        ctx = ProjectContext.open(folder, url)
        try:
            if server is not None:  # the connection now reads the server
                with begin_write(ctx.engine) as conn:
                    deployments.deploy(conn, load_project_config(folder))
            with phase_memory() as memory["AD run"]:
                start = time.perf_counter()
                run = synchronize(ctx, SyncRequest("AD"))
                total = time.perf_counter() - start
            if run.state != "succeeded":
                sys.exit(f"the AD run did not succeed: {run.state} {run.message}")
            with phase_memory() as memory["floor of the correlation"]:
                floor, joined = floor_join(ctx)
            system = ctx.deployed()[1].managed_system("AD")
            assert system is not None
            with ctx.engine.connect() as conn:
                counts = review.counts(conn, system, datetime.now(UTC))
        finally:
            ctx.close()
        with phase_memory() as memory["pages"]:
            served = pages(folder, url, args.repeat)
    finally:
        if server is not None:
            server.stop()
        if args.database_url:
            drop_postgres(url)
        elif args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    expected = {"orphan": built["orphan"], "orphan_suggested": built["orphan_suggested"],
                "service": built["service"], "owner_left": built["owner_left"],
                "unused": built["unused"]}
    found = {k: counts.of(k) for k in expected}
    correlate = run.timings.get("owners", 0.0)
    print(f"repository: {'PostgreSQL' if args.database_url else 'SQLite (WAL)'}")
    print(f"read + correlate {counts.accounts:,} accounts to {args.accounts:,} identities: "
          f"{total:.1f} s (target ≤ 30 s) — "
          + ", ".join(f"{step} {seconds:.2f} s" for step, seconds in run.timings.items()))
    if read_floor is not None:
        print(f"floor of the read: ldapsearch of the same entries into a file {read_floor:.2f} s;"
              f" read + correlate ×{total / read_floor:.1f} that floor")
    print(f"correlation alone (step owners: read, correlate, write owners and review): "
          f"{correlate:.2f} s; floor (read both, parse, dict join of employeeNumber): "
          f"{floor:.2f} s ({joined:,} matched), ratio {correlate / floor:.1f}×")
    print(f"counts: {found} ({'as built' if found == expected else f'expected {expected}'})")
    print(f"memory (load average {os.getloadavg()[0]:.2f}): "
          + "; ".join(f"{name} {measured.shown()}" for name, measured in memory.items())
          + (f"; ldapsearch peak {searched.peak_mb:,.0f} MB" if searched else ""))
    for label, (median, low, high) in served.items():
        print(f"{label}: median {median:.1f} ms (min {low:.1f}, max {high:.1f}; "
              "target ≤ 300 ms)")
    if args.json:
        args.json.write_text(json.dumps({
            "accounts": counts.accounts, "seconds": total, "timings": run.timings,
            "correlate": correlate, "floor": floor, "read_floor": read_floor,
            "source": args.source, "counts": found, "expected": expected,
            "pages_ms": served, "memory": {k: m.figures() for k, m in memory.items()}},
            indent=2), encoding="utf-8")
    if found != expected:
        sys.exit("the counts differ from what was built")


if __name__ == "__main__":
    main()
