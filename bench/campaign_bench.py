"""A certification campaign of 100,000 items (issue 10, SPEC §14: Okta's maximum) created in
≤ 10 s, and a reviewer's page among them in ≤ 300 ms (server time).

1. a project with the workforce template and N identities, each with one current record whose
   Manager is one of N/50 managers, bulk inserted (the campaign does not care how HR made them);
   a few managers get a log-in (their identity set), and `auditor` is the fallback of the rest;
2. the raw floor: N rows of the items' shape bulk inserted (executemany, one transaction) into a
   fresh table with the same indexes;
3. `lifecycle.create`: the scope read, each item's reviewer found (the identity's current
   record's manager), the campaign and its N items written;
4. server time, in process through the ASGI app, median of --repeat: a manager's page of their
   items (/reviews/campaigns/ID/mine), the same from the API, and the fallback reviewer's first
   page (tens of thousands of items).

Run: .venv/bin/python bench/campaign_bench.py --people 100000 [--database-url URL] [--json OUT]
(with a PostgreSQL URL, a fresh database is created on that server and dropped afterwards)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from headcount.campaigns import lifecycle
from headcount.campaigns.spec import CampaignSpec, Stage
from headcount.campaigns.store import ITEM_COLUMNS, stored_instant
from headcount.config.loader import load_project_config
from headcount.project import ProjectContext
from headcount.repository import deployments, users
from headcount.repository.bulk import insert_rows
from headcount.repository.database import begin_write
from headcount.repository.schema import campaign_items, links, resources
from headcount.samples import hrfiles
from headcount.web.app import create_app
from memory import PhaseMemory, phase_memory
from sync_bench import drop_postgres, fresh_postgres
from webproject import PASSWORD, login
from workflow_bench import ServerTimer, median_ms

REPORTS = 50  # people per manager
LOGINS = 5  # managers who can log in
BATCH = 50_000
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def build(folder: Path, url: str, people: int) -> None:
    (folder / "config").mkdir(parents=True)
    for name in ("hr.yaml", "directory.yaml", "policy.yaml"):
        shutil.copyfile(Path(hrfiles.__file__).with_name(name), folder / "config" / name)
    ctx = ProjectContext.open(folder, url)
    try:
        with begin_write(ctx.engine) as conn:
            deployments.deploy(conn, load_project_config(folder))
            _identities(conn, people)
            for n in range(LOGINS):
                users.add_user(conn, f"manager{n}", PASSWORD, "reviewer",
                               identity=_key(n * REPORTS))
            users.add_user(conn, "auditor", PASSWORD, "reviewer")
            users.add_user(conn, "boss", PASSWORD, "administrator")
    finally:
        ctx.close()


def _key(n: int) -> str:
    return f"E{n + 1:07d}"


def _identities(conn: sa.Connection, people: int) -> None:
    """Identities and their records; person n's manager is the first of their group of 50.
    Written a batch at a time: a million people's rows at once are gigabytes of dicts."""
    for start in range(0, people, BATCH):
        _identity_batch(conn, people, range(start, min(start + BATCH, people)))


def _identity_batch(conn: sa.Connection, people: int, batch: range) -> None:
    users_rows, records, nav = [], [], []
    for n in batch:
        key = _key(n)
        users_rows.append({"id": n + 1, "entity_type": "Directory_User", "key": key,
                           "data": json.dumps({"Identifier": key, "LastName": f"Name{n}",
                                               "FirstName": "Ann", "State": "active"}),
                           "hash": 0})
        records.append({"id": people + n + 1, "entity_type": "Directory_UserRecord",
                        "key": key, "data": json.dumps({"RecordIdentifier": key,
                                                        "StartDate": "2020-01-01"}),
                        "hash": 0})
        manager = n - n % REPORTS
        nav.append({"source_id": people + n + 1, "navigation": "Directory_UserRecord.User",
                    "target_type": "Directory_User", "target_key": key, "target_id": n + 1})
        nav.append({"source_id": people + n + 1, "navigation": "Directory_UserRecord.Manager",
                    "target_type": "Directory_User", "target_key": _key(manager),
                    "target_id": manager + 1})
    conn.execute(sa.insert(resources), users_rows + records)
    conn.execute(sa.insert(links), nav)


def floor(engine: sa.Engine, people: int) -> float:
    """N item rows bulk inserted (as the campaign writes them: executemany on SQLite, COPY on
    PostgreSQL) into a copy of the items' table, with its indexes."""
    copy = sa.MetaData()
    table = campaign_items.to_metadata(copy, name="bench_floor_items")
    for index in list(table.indexes):
        index.name = sa.sql.elements.quoted_name(f"bench_floor_{index.name}", None)
    copy.create_all(engine)
    with engine.connect() as conn:
        opened = stored_instant(conn, NOW)
    rows = [(1, "Directory_User", _key(n), _key(n), "access", None, "{}", 0,
             f"manager{n // REPORTS}", "open", opened) for n in range(people)]
    start = time.perf_counter()
    with begin_write(engine) as conn:
        insert_rows(conn, table.name, ITEM_COLUMNS, rows)
    elapsed = time.perf_counter() - start
    copy.drop_all(engine)
    return elapsed


def pages(folder: Path, url: str, campaign_id: int, repeat: int) -> dict[str, Any]:
    app = create_app(folder, url)
    timer = ServerTimer(app)
    out: dict[str, Any] = {}
    try:
        for name, path, accept in (
                ("manager0: /reviews/campaigns/ID/mine", f"/reviews/campaigns/{campaign_id}"
                 "/mine", "text/html"),
                ("manager0: GET /api/campaigns/ID/items",
                 f"/api/campaigns/{campaign_id}/items", "application/json"),
                ("auditor (the fallback): /reviews/campaigns/ID/mine",
                 f"/reviews/campaigns/{campaign_id}/mine", "text/html")):
            client = TestClient(timer)
            login(client, name.split(" ")[0].rstrip(":"))

            def get(path: str = path, accept: str = accept, client: TestClient = client
                    ) -> float:
                answer = client.get(path, headers={"Accept": accept})
                assert answer.status_code == 200, (path, answer.status_code)
                return timer.last_ms

            get()  # the first request of a route builds its models and templates
            out[name] = median_ms(get, repeat)
            client.close()
    finally:
        app.state.headcount.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="campaign-bench-"))
    url = fresh_postgres(args.database_url) if args.database_url \
        else f"sqlite:///{work}/project/headcount.db"
    memory: dict[str, PhaseMemory] = {}
    try:
        folder = work / "project"
        started = time.perf_counter()
        with phase_memory() as memory["build"]:
            build(folder, url, args.people)
        print(f"{args.people:,} identities built in {time.perf_counter() - started:.1f} s "
              f"({url.split('://')[0]}); {memory['build'].shown()}")
        ctx = ProjectContext.open(folder, url)
        try:
            with phase_memory() as memory["floor"]:
                raw = floor(ctx.engine, args.people)
            spec = CampaignSpec(name="Bench", owner="boss", starts_on=NOW.date(),
                                ends_on=NOW.date().replace(year=NOW.year + 1),
                                stages=[Stage(reviewer="manager", fallback="user:auditor")])
            with phase_memory() as memory["create"]:
                start = time.perf_counter()
                campaign_id, count = lifecycle.create(ctx.engine, ctx.deployed()[1], spec,
                                                      "boss", NOW)
                created = time.perf_counter() - start
        finally:
            ctx.close()
        assert count == args.people, (count, args.people)
        print(f"floor (bulk insert of {count:,} item rows): {raw:.2f} s; "
              f"{memory['floor'].shown()}")
        print(f"campaign of {count:,} items created: {created:.2f} s "
              f"({created / raw:.1f}× the floor; target ≤ 10 s); {memory['create'].shown()}")
        with phase_memory() as memory["pages"]:
            timed = pages(folder, url, campaign_id, args.repeat)
        for name, (median, low, high) in timed.items():
            print(f"{name}: {median:.1f} ms median (min {low:.1f}, max {high:.1f}; "
                  "target ≤ 300 ms)")
        print(f"pages: {memory['pages'].shown()}; load average {os.getloadavg()[0]:.2f}")
        if args.json:
            args.json.write_text(json.dumps({
                "people": args.people, "floor_s": raw, "create_s": created,
                "ratio_to_floor": round(created / raw, 2),
                "memory": {k: m.figures() for k, m in memory.items()},
                "pages_ms": {k: v[0] for k, v in timed.items()}}, indent=2))
    finally:
        if args.database_url:
            drop_postgres(url)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
