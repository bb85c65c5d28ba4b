"""Pushed HR records (issue 13, docs/push.md): N records in 50-record SCIM bulk requests, as
Microsoft Entra's API-driven inbound provisioning sends them, pushed to the app and applied by
the runs the requests queue — on SQLite, or PostgreSQL with `--database-url`. Target: ≥ 5,000
records/s accepted and applied (Entra's own cap is 2,000/s: 40 requests of 50 per second),
100,000 records.

1. a project: connector `Bench`, connection `Bench_People` of package `pushed` (core,
   enterprise extension and a custom extension), entity type `Bench_Person`, no policy;
2. the floor: the same rows (key, JSON) inserted into a fresh table with a unique index on
   the key, no logic, one transaction (SQLite: executemany; PostgreSQL: COPY);
3. the push: the requests sent to the app in process (httpx's ASGI transport), four in flight
   at a time as Entra's provisioning service sends several at once (`--concurrency 1`: one
   after the other), each answered 202 with every operation accepted; the clock stops when no
   record waits any more (the runs the requests queued have applied them all).

With `--worker`, the app only queues (as `headcount serve --no-worker`) and a `headcount worker`
process beside it carries the runs out: the server and worker deployment of docs/deployment.md,
the runs off the core that answers the requests. Without it, the app carries out what it queues
itself, in its own process (as `headcount serve` with its embedded worker).

The request bodies are made as they are sent, never all held at once (1,000,000 records are
700 MB of JSON). The floor and the push each print their own peak RSS (bench/memory.py).

Run: .venv/bin/python bench/push_bench.py [--records 100000] [--concurrency 4] [--worker]
     [--keep DIR] [--json OUT] [--database-url URL]
(a PostgreSQL URL names a server: a fresh database is made there for the run and dropped after)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from headcount.config.loader import load_project_config
from headcount.project import ProjectContext
from headcount.repository import deployments, tokens
from headcount.repository.database import DATABASE_ENV, begin_write
from headcount.repository.schema import push_operations, resources
from headcount.repository.schema import runs as runs_table
from headcount.web.app import create_app
from memory import phase_memory
from sync_bench import drop_postgres, fresh_postgres, libpq_url, sqlite_pragmas

FLOOR = 5_000.0  # records per second
BATCH = 50
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CUSTOM = "urn:ietf:params:scim:schemas:extension:bench:1.0:User"
CONFIG = f"""connectors:
  - identifier: Bench
    thresholds: {{max_inserted: 100000000, max_inserted_pct: 100000000,
                 max_updated: 100000000, max_updated_pct: 100000000}}
    connections:
      - identifier: Bench_People
        package: pushed
        attributes:
          EmployeeId: "{ENTERPRISE}:employeeNumber"
          ExternalId: externalId
          UserName: userName
          FirstName: name.givenName
          LastName: name.familyName
          Email: 'emails[type eq "work"].value'
          Title: title
          Active: active
          Department: "{ENTERPRISE}:department"
          ManagerId: "{ENTERPRISE}:manager.value"
          HireDate: "{CUSTOM}:HireDate"
          JobCode: "{CUSTOM}:JobCode"
    entity_types:
      - identifier: Bench_Person
        keys: [EmployeeId]
        properties:
          - {{identifier: EmployeeId}}
          - {{identifier: UserName}}
          - {{identifier: FirstName}}
          - {{identifier: LastName}}
          - {{identifier: Email}}
          - {{identifier: Title}}
          - {{identifier: Active, type: bool}}
          - {{identifier: Department}}
          - {{identifier: ManagerId}}
          - {{identifier: HireDate, type: date}}
          - {{identifier: JobCode}}
    mappings:
      - entity_type: Bench_Person
        connection: Bench_People
        key: EmployeeId
        columns: {{EmployeeId: EmployeeId, UserName: UserName, FirstName: FirstName,
                  LastName: LastName, Email: Email, Title: Title, Active: Active,
                  Department: Department, ManagerId: ManagerId, HireDate: HireDate,
                  JobCode: JobCode}}
"""


def user(n: int) -> dict[str, Any]:
    employee = f"E{n:07d}"
    mail = f"person.{n}@example.com"
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE, CUSTOM],
        "externalId": employee, "userName": mail,
        "name": {"familyName": f"Family{n % 997}", "givenName": f"Given{n % 613}"},
        "emails": [{"value": mail, "type": "work", "primary": True}],
        "title": f"Title {n % 50}",
        ENTERPRISE: {"employeeNumber": employee, "department": f"D{n % 120:03d}",
                     "manager": {"value": f"E{max(n // 10, 1):07d}"}},
        CUSTOM: {"HireDate": f"20{10 + n % 15}-0{1 + n % 9}-1{n % 10}T00:00:00-08:00",
                 "JobCode": f"J{n % 300}"},
    }


def bodies(records: int) -> Iterator[bytes]:
    for start in range(1, records + 1, BATCH):
        ops = [{"method": "POST", "bulkId": str(n), "path": "/Users", "data": user(n)}
               for n in range(start, min(start + BATCH, records + 1))]
        yield json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                          "Operations": ops}).encode()


def floor_rows(records: int) -> Iterator[tuple[str, str]]:
    return ((f"E{n:07d}", json.dumps(user(n))) for n in range(1, records + 1))


def run_floor(records: int, folder: Path, url: str | None) -> float:
    """Seconds to insert the same rows (key, JSON of the flat record) with no logic. The rows
    are made as they are inserted, as the push makes its requests."""
    start = time.perf_counter()
    if url is None:
        con = sqlite3.connect(folder / "floor.db", isolation_level=None)
        sqlite_pragmas(con)
        con.execute("BEGIN")
        con.execute("CREATE TABLE floor (id INTEGER PRIMARY KEY, key TEXT NOT NULL, data TEXT)")
        con.execute("CREATE UNIQUE INDEX floor_key ON floor (key)")
        con.executemany("INSERT INTO floor (key, data) VALUES (?, ?)", floor_rows(records))
        con.execute("COMMIT")
        con.close()
        return time.perf_counter() - start
    import psycopg

    with psycopg.connect(libpq_url(url)) as pg:
        pg.execute("CREATE TABLE bench_floor (id bigserial PRIMARY KEY, key text NOT NULL, "
                   "data jsonb)")
        pg.execute("CREATE UNIQUE INDEX bench_floor_key ON bench_floor (key)")
        with pg.cursor() as cur, cur.copy("COPY bench_floor (key, data) FROM STDIN") as copy:
            for row in floor_rows(records):
                copy.write_row(row)
    return time.perf_counter() - start


async def push_all(app: Any, secret: str, payloads: Iterator[bytes], concurrency: int) -> None:
    """Every payload sent, `concurrency` requests in flight at a time (Entra's provisioning
    service sends several at once)."""
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/scim+json"}
    transport = httpx.ASGITransport(app=app)
    queue = payloads
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def sender() -> None:
            for body in queue:
                answer = await client.post("/api/push/Bench/bulk", content=body,
                                           headers=headers)
                if answer.status_code != 202 or answer.json()["rejected"]:
                    raise SystemExit(f"request refused: {answer.status_code} "
                                     f"{answer.text[:500]}")

        await asyncio.gather(*(sender() for _ in range(concurrency)))


def waiting(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(push_operations)
                                .where(push_operations.c.state == "waiting")).scalar_one())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=4,
                        help="requests in flight at a time (default 4; 1: one after the other)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--json", type=Path, help="save the figures as JSON")
    parser.add_argument("--worker", action="store_true",
                        help="carry the runs out in a `headcount worker` process beside the app")
    parser.add_argument("--database-url", help="PostgreSQL server (default: SQLite); a fresh "
                        "database is created on it and dropped after the run")
    args = parser.parse_args(argv)
    server = fresh_postgres(args.database_url) if args.database_url else None
    try:
        return bench(args, server)
    finally:
        if server is not None:
            drop_postgres(server)


def bench(args: argparse.Namespace, server: str | None) -> int:
    folder = args.keep or Path(tempfile.mkdtemp(prefix="push-bench-"))
    if args.keep and folder.exists():
        shutil.rmtree(folder)
    (folder / "config").mkdir(parents=True)
    (folder / "config" / "bench.yaml").write_text(CONFIG, encoding="utf-8")
    url = server or f"sqlite:///{folder}/headcount.db"
    ctx = ProjectContext.open(folder, url)
    with begin_write(ctx.engine) as conn:
        deployments.deploy(conn, load_project_config(folder))
        _, secret = tokens.create(conn, "bench", ["push"], ["Bench"], "bench")
    ctx.close()
    requests = -(-args.records // BATCH)
    with phase_memory() as floor_memory:
        floor = run_floor(args.records, folder, server)
    app = create_app(folder, url, drain=not args.worker)
    engine: sa.Engine = app.state.headcount.engine
    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("headcount")), "--project", str(folder), "worker"],
        env={**os.environ, DATABASE_ENV: url}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL) if args.worker else None
    try:
        with phase_memory() as push_memory:
            start = time.perf_counter()
            asyncio.run(push_all(app, secret, bodies(args.records), args.concurrency))
            accepted = time.perf_counter() - start
            while waiting(engine):
                time.sleep(0.05)
            seconds = time.perf_counter() - start
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(resources)
                              .where(resources.c.entity_type == "Bench_Person")).scalar_one()
        states: dict[str, int] = dict(conn.execute(sa.select(runs_table.c.state, sa.func.count())
                                   .group_by(runs_table.c.state)).all())
    engine.dispose()
    rate = args.records / seconds
    figures = {"records": args.records, "requests": requests,
               "database": "postgresql" if server else "sqlite",
               "memory": {"floor": floor_memory.figures(), "push": push_memory.figures()},
               "seconds": round(seconds, 3),
               "accepted_seconds": round(accepted, 3), "records_per_second": round(rate),
               "floor_seconds": round(floor, 3), "ratio_to_floor": round(seconds / floor, 2),
               "stored": stored, "runs": states, "target": FLOOR,
               "worker": "separate process" if args.worker else "in the app's process",
               "verdict": "ok" if rate >= FLOOR else "below target",
               # The machine's load as the push ended: a shared machine's figures vary with it.
               "load": [round(x, 2) for x in os.getloadavg()]}
    print(f"runs carried out {figures['worker']}; load average {figures['load']}")
    print(f"{args.records:,} records in {requests:,} requests of {BATCH}: accepted in "
          f"{accepted:.2f} s, applied in {seconds:.2f} s → {rate:,.0f} records/s "
          f"(target ≥ {FLOOR:,.0f}/s; Entra's cap 2,000/s): {figures['verdict']}")
    print(f"raw floor (the same rows inserted, no logic): {floor:.3f} s; ratio "
          f"{seconds / floor:.1f}×; {stored:,} people stored; runs {states}")
    print(f"memory: floor {floor_memory.shown()}; push {push_memory.shown()} (the app's "
          f"process{'; the worker is another' if args.worker else ''})")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if stored == args.records else 1


if __name__ == "__main__":
    sys.exit(main())
