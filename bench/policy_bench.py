"""HR → identities for N people (SPEC §14: policy + orders + direct fulfillment for 100,000
people ≤ 30 s), on the sample project's configuration, SQLite.

Run: .venv/bin/python bench/policy_bench.py --people 100000 [--database-url URL] [--keep DIR]
(with a PostgreSQL URL, a fresh database is created on that server and dropped afterwards)
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from headcount.config.loader import load_project_config
from headcount.jobs.evaluation import evaluate_policy
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import deployments, runs
from headcount.repository.database import begin_write
from headcount.repository.schema import links, resources
from headcount.samples import hrfiles
from sync_bench import drop_postgres, fresh_postgres, libpq_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--database-url", help="PostgreSQL server (default: SQLite)")
    args = parser.parse_args()
    url = fresh_postgres(args.database_url) if args.database_url else None
    folder = args.keep or Path(tempfile.mkdtemp(prefix="policy-bench-"))
    (folder / "config").mkdir(parents=True, exist_ok=True)
    for name in ("hr.yaml", "directory.yaml", "policy.yaml"):
        shutil.copyfile(Path(hrfiles.__file__).with_name(name), folder / "config" / name)
    start = time.perf_counter()
    hrfiles.main(["--out", str(folder / "data"), "--people", str(args.people)])
    print(f"generated {args.people:,} people in {time.perf_counter() - start:.1f} s")
    ctx = ProjectContext.open(folder, url)
    try:
        with begin_write(ctx.engine) as conn:
            deployments.deploy(conn, load_project_config(folder))
        start = time.perf_counter()
        run = synchronize(ctx, SyncRequest("HR"))
        wall = time.perf_counter() - start
        floor = raw_floor(ctx, folder) if url is None else raw_floor_postgres(ctx, url)
        # The next day: a complete run evaluates every source again, and orders the few moves.
        for name in ("hr_people.csv", "hr_organizations.csv", "hr_sites.csv"):
            shutil.copyfile(folder / "data" / "next_day" / name, folder / "data" / name)
        start = time.perf_counter()
        next_day = synchronize(ctx, SyncRequest("HR", force=True, reason="bench"))
        next_wall = time.perf_counter() - start
        start = time.perf_counter()
        evaluation = evaluate_policy(ctx, "HR")
        evaluation_wall = time.perf_counter() - start
    finally:
        ctx.close()
        if url is not None:
            drop_postgres(url)
    steps = ", ".join(f"{k} {v:.2f} s" for k, v in run.timings.items())
    print(f"initial sync with policy: {wall:.2f} s ({steps}), {run.state}")
    print(f"orders: {run.counters.get('orders')}")
    policy = run.timings.get("policy", 0.0)
    print(f"raw floor (bulk insert of the Directory's rows and links, one transaction): "
          f"{floor:.2f} s")
    print(f"HR → identities (policy + orders + direct fulfillment): {policy:.2f} s "
          f"(target ≤ 30 s at 100,000 people); ×{policy / floor:.1f} the raw floor, "
          f"×{policy / run.timings.get('apply', 1.0):.1f} the HR apply step")
    print(f"next day, complete run: {next_wall:.2f} s (policy "
          f"{next_day.timings.get('policy', 0.0):.2f} s), orders "
          f"{next_day.counters.get('orders')}")
    print(f"date evaluation (no file): {evaluation_wall:.2f} s, orders "
          f"{evaluation.counters.get('orders')}")
    # The figures of a run that did not succeed mean nothing: the exit status says so.
    unfinished = [r for r in (run, next_day, evaluation)
                  if r.state not in (runs.SUCCEEDED, runs.WARNINGS)]
    if unfinished:
        sys.exit(f"runs that did not succeed: {[(r.id, r.state, r.message) for r in unfinished]}")


def _directory_rows(ctx: ProjectContext) -> tuple[list[Any], list[Any]]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(sa.select(resources.c.entity_type, resources.c.key,
                                      resources.c.data)
                            .where(resources.c.entity_type.like("Directory%"))).all()
        edges = conn.execute(sa.select(links.c.source_id, links.c.navigation,
                                       links.c.target_key)
                             .where(links.c.navigation.like("Directory%"))).all()
    return [tuple(r) for r in rows], [tuple(e) for e in edges]


def raw_floor_postgres(ctx: ProjectContext, url: str) -> float:
    """The same floor on PostgreSQL: COPY into fresh tables with their unique indexes, one
    transaction."""
    import psycopg

    rows, edges = _directory_rows(ctx)
    start = time.perf_counter()
    with psycopg.connect(libpq_url(url)) as pg:
        pg.execute("CREATE TEMP TABLE r (id bigserial PRIMARY KEY, et text, key text, "
                   "data jsonb)")
        pg.execute("CREATE UNIQUE INDEX r_key ON r (et, key)")
        pg.execute("CREATE TEMP TABLE l (id bigserial PRIMARY KEY, source bigint, nav text, "
                   "tkey text)")
        pg.execute("CREATE UNIQUE INDEX l_key ON l (source, nav, tkey)")
        with pg.cursor() as cur:
            with cur.copy("COPY r (et, key, data) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            with cur.copy("COPY l (source, nav, tkey) FROM STDIN") as copy:
                for edge in edges:
                    copy.write_row(edge)
    return time.perf_counter() - start


def raw_floor(ctx: ProjectContext, folder: Path) -> float:
    """The least any policy step must do: write the Directory's resources (JSON) and links that
    the run wrote, as plain bulk inserts with unique indexes, into a fresh SQLite database with
    the engine's settings, in one transaction."""
    rows, edges = _directory_rows(ctx)
    db = folder / "floor.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    start = time.perf_counter()
    con = sqlite3.connect(db, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-200000",
                   "temp_store=MEMORY"):
        con.execute(f"PRAGMA {pragma}")
    con.execute("BEGIN")
    con.execute("CREATE TABLE r (id INTEGER PRIMARY KEY, et TEXT, key TEXT, data TEXT)")
    con.execute("CREATE UNIQUE INDEX r_key ON r (et, key)")
    con.execute("CREATE TABLE l (id INTEGER PRIMARY KEY, source INTEGER, nav TEXT, tkey TEXT)")
    con.execute("CREATE UNIQUE INDEX l_key ON l (source, nav, tkey)")
    con.executemany("INSERT INTO r (et, key, data) VALUES (?, ?, ?)", rows)
    con.executemany("INSERT INTO l (source, nav, tkey) VALUES (?, ?, ?)", edges)
    con.execute("COMMIT")
    con.close()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
