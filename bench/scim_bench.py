"""The read-only SCIM view over a million identities (issue 13 item 5): server time of
`GET /scim/v2/Users` filtered, sorted and paged, and of one User.

Writes N identities of the workforce template straight into the repository — each with one
record, a manager and an organization, as the sample's policy would make them — then times the
SCIM application through the ASGI app in process (no network), median of --repeat.

Each figure is shown beside the floor measured in the same run: every Directory_User row read by
the database with no logic (its JSON text scanned for words found nowhere, bench/scan.py); the
build and the queries each print their peak RSS.

Run: .venv/bin/python bench/scim_bench.py --rows 1000000 [--keep DIR] [--database-url URL]
(a PostgreSQL URL names a server: a fresh database is made there for the run and dropped after
it, unless --keep).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))

from headcount.config.loader import load_project_config
from headcount.project import ProjectContext
from headcount.repository import deployments, tokens
from headcount.repository.database import begin_write
from headcount.repository.schema import links, resource_names, resources, runs
from headcount.samples import hrfiles
from headcount.web.app import create_app
from memory import phase_memory
from scan import scan_floor
from sync_bench import drop_postgres, fresh_postgres

FIRST = ["Anne", "Léa", "Marc", "Jürgen", "Zoé", "Noël", "Inès", "Paul", "Chloé", "Omar"]
LAST = ["Martin", "Bernard", "Dubois", "Müller", "García", "Nguyen", "Rossi", "Leroy", "Petit"]
ORGANIZATIONS = 200
BATCH = 20_000
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def key(i: int) -> str:
    return f"E{i:07d}"


def person(i: int) -> tuple[str, str]:
    return FIRST[i % len(FIRST)], LAST[(i // 7) % len(LAST)]


def queries(rows: int) -> dict[str, str]:
    middle = key(rows // 2)
    anne = person(rows // 2)
    return {
        "first page (100)": "",
        f'userName eq "{middle}"': f'filter=userName eq "{middle}"',
        f'userName eq "{middle.lower()}" (case)': f'filter=userName eq "{middle.lower()}"',
        'familyName eq + givenName eq, page of 50': (
            f'filter=name.familyName eq "{anne[1]}" and name.givenName eq "{anne[0]}"'
            "&count=50"),
        'emails sw (record), page of 50': (
            f'filter=emails sw "{anne[0].lower()}.{anne[1].lower()}.{rows // 2}@"&count=50'),
        "manager.value eq (record link)": f'filter={ENTERPRISE}:manager.value eq "{key(1)}"',
        'meta.lastModified gt, page of 50': (
            'filter=meta.lastModified gt "2000-01-01T00:00:00Z"&count=50'),
        "sortBy=name.familyName, page of 50": "sortBy=name.familyName&count=50",
        "startIndex in the middle, 50": f"startIndex={rows // 2}&count=50",
        "attributes=userName, 1000": "attributes=userName&count=1000",
    }


def build(project: Path, rows: int, url: str | None) -> None:
    (project / "config").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(hrfiles.__file__).with_name("directory.yaml"),
                    project / "config" / "directory.yaml")
    ctx = ProjectContext.open(project, url)
    try:
        start = time.perf_counter()
        with begin_write(ctx.engine) as conn:
            deployments.deploy(conn, load_project_config(project))
            now = datetime.now(UTC)
            run_id = int(conn.execute(sa.insert(runs).values(
                connector="Directory", mode="initial", state="succeeded", dry_run=False,
                forced=False, created_at=now, started_at=now, finished_at=now,
                counters="{}", timings="{}", files="[]").returning(runs.c.id)).scalar_one())
            _fill(conn, rows, run_id)
        print(f"{rows:,} identities written: {time.perf_counter() - start:.1f} s")
    finally:
        ctx.close()


def _fill(conn: sa.Connection, rows: int, run: int) -> None:
    # Ids are given: users 1..N, records N+1..2N, organizations 2N+1..; links refer to them.
    organizations = [{"id": 2 * rows + o + 1, "entity_type": "Directory_Organization",
                      "key": f"ORG{o:04d}", "hash": o, "created_run": run, "updated_run": run,
                      "data": json.dumps({"Identifier": f"ORG{o:04d}",
                                          "DisplayName": f"Department {o}"})}
                     for o in range(ORGANIZATIONS)]
    conn.execute(sa.insert(resources), organizations)
    conn.execute(sa.insert(resource_names), [
        {"resource_id": o["id"], "entity_type": "Directory_Organization",
         "display": f"Department {n}", "terms": f" department {n} "}
        for n, o in enumerate(organizations)])
    for chunk in _chunks(range(1, rows + 1)):
        users, records, names, linked = [], [], [], []
        for i in chunk:
            first, last = person(i)
            users.append({"id": i, "entity_type": "Directory_User", "key": key(i), "hash": i,
                          "created_run": run, "updated_run": run, "data": json.dumps({
                              "Identifier": key(i), "FirstName": first, "LastName": last,
                              "EmployeeId": key(i), "State": "left" if i % 50 == 0 else "active",
                              "StartDate": f"20{10 + i % 15:02d}-01-01", "EndDate": None})})
            records.append({"id": rows + i, "entity_type": "Directory_UserRecord", "key": key(i),
                            "hash": i, "created_run": run, "updated_run": run, "data": json.dumps({
                                "RecordIdentifier": key(i), "FirstName": first, "LastName": last,
                                "Email": f"{first}.{last}.{i}@example.com".lower(),
                                "Login": f"{first[0]}{last}{i}".lower(), "Title": "Engineer",
                                "StartDate": f"20{10 + i % 15:02d}-01-01", "EndDate": None,
                                "IsMainPosition": True})})
            names.append({"resource_id": i, "entity_type": "Directory_User",
                          "display": f"{first} {last}", "terms": f" {first} {last} ".lower()})
            linked.append({"source_id": rows + i, "navigation": "Directory_UserRecord.User",
                           "target_type": "Directory_User", "target_key": key(i),
                           "target_id": i})
            if i > 1:
                boss = max(1, i // 10)
                linked.append({"source_id": rows + i,
                               "navigation": "Directory_UserRecord.Manager",
                               "target_type": "Directory_User", "target_key": key(boss),
                               "target_id": boss})
            org = organizations[i % ORGANIZATIONS]
            linked.append({"source_id": rows + i,
                           "navigation": "Directory_UserRecord.Organization",
                           "target_type": "Directory_Organization", "target_key": org["key"],
                           "target_id": org["id"]})
        conn.execute(sa.insert(resources), users + records)
        conn.execute(sa.insert(resource_names), names)
        conn.execute(sa.insert(links), linked)


def _chunks(items: range) -> Iterator[range]:
    for start in range(0, len(items), BATCH):
        yield items[start:start + BATCH]


def timed(client: TestClient, path: str, headers: dict[str, str], repeat: int
          ) -> tuple[list[float], list[float], Any]:
    """Server time of `repeat` GETs in milliseconds — wall clock, and the CPU time of the
    process (the app runs in it), the figure a busy machine does not inflate — and the last
    answer."""
    times, cpu, answer = [], [], None
    for _ in range(repeat):
        start, started_cpu = time.perf_counter(), time.process_time()
        answer = client.get(path, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    assert answer is not None
    return times, cpu, answer.json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", help="PostgreSQL server (default: SQLite)")
    args = parser.parse_args()
    project = args.keep or Path(tempfile.mkdtemp(prefix="scim-bench-"))
    url = fresh_postgres(args.database_url) if args.database_url else None
    try:
        if url or not (project / "headcount.db").exists():
            with phase_memory() as built:
                build(project, args.rows, url)
            print(f"  build: {built.shown()}")
        app = create_app(project, url)
        engine = app.state.headcount.engine
        with begin_write(engine) as conn:
            _, secret = tokens.create(conn, "bench", [tokens.IDENTITIES_READ], [], "bench")
        headers = {"Authorization": f"Bearer {secret}"}
        client = TestClient(app)
        where = "PostgreSQL" if url else "SQLite"
        floor, scanned = scan_floor(engine, "Directory_User", args.repeat)
        print(f"floor: a full scan of {scanned:,} Directory_User rows' JSON, no logic, best of "
              f"{args.repeat}: {floor:.0f} ms")
        print(f"GET /scim/v2/Users over {args.rows:,} identities, {where}; server time, "
              f"median of {args.repeat} (min–max), × the floor; load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        with phase_memory() as measured:
            for label, query in queries(args.rows).items():
                times, cpu, body = timed(client, f"/scim/v2/Users?{quote(query, safe='=&')}",
                                         headers, args.repeat)
                median = statistics.median(times)
                print(f"  {label:44} {median:8.0f} ms  ({min(times):.0f}–{max(times):.0f}), "
                      f"CPU {statistics.median(cpu):.0f} ms, ×{median / floor:.2f}  "
                      f"totalResults {body['totalResults']:,}, {body['itemsPerPage']} shown")
            times, cpu, _ = timed(client, f"/scim/v2/Users/{key(args.rows // 2)}", headers,
                                  args.repeat)
            print(f"  {'GET /Users/{id}':44} {statistics.median(times):8.0f} ms, CPU "
                  f"{statistics.median(cpu):.0f} ms, ×{statistics.median(times) / floor:.2f}")
        print(f"  queries: {measured.shown()}")
        engine.dispose()
    finally:
        if url and not args.keep:
            drop_postgres(url)


if __name__ == "__main__":
    main()
