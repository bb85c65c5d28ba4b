"""The list page and the top bar's search over a million resources (SPEC §14, issue 12: ≤ 300 ms
each, server time).

Builds (or reuses, with --keep) a project of N synchronized Bench_Person resources, named
"{LastName} {FirstName}", then times the server side — the page handler, query and template,
through the ASGI app in process, no network — of the list page for: the first page, a search
matching many, a search matching one, a search matching none (a full scan), a filter, and a sort
on a property; then of the search page (/search?q=, every entity type) for a full name in any
order, accents, a key, an e-mail, and words found nowhere.

Each figure is shown beside the floor measured in the same run: every Bench_Person row read by
the database with no logic (its JSON text scanned for words found nowhere, bench/scan.py); the
build (the initial sync) and the pages each print their peak RSS.

Run: .venv/bin/python bench/list_bench.py --rows 1000000 [--keep DIR] [--database-url URL]
(a PostgreSQL URL names a server: a fresh database is made there for the run and dropped after
it, unless --keep).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote_plus

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import datagen
from headcount.config.loader import load_project_config
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import deployments, users
from headcount.repository.database import begin_write
from headcount.web.app import create_app
from memory import phase_memory
from scan import scan_floor
from sync_bench import config_yaml, drop_postgres, fresh_postgres
from webproject import PASSWORD, login

QUERIES = {
    "first page": "",
    "search, many matches (Martin)": "?q=Martin",
    "search, one match (E0500000)": "?q=E0500000",
    "search, no match (a full scan)": "?q=zzzz-nobody",
    "filter Site = S07": "?fp=Site&fv=S07",
    "sort by LastName": "?sort=LastName",
}
# The top bar's search: its page over every entity type (1 in 90 people is an Anne Martin).
SEARCHES = {
    "global search, full name (anne martin)": "anne martin",
    "global search, any order, accents (Muller JURGEN)": "Muller JURGEN",
    "global search, a key (E0500000)": "E0500000",
    "global search, an e-mail": "paul.bernard.7@example.com",
    "global search, no match (a full scan)": "zzzz nobody",
}
TARGET_MS = 300


def build(project: Path, rows: int, url: str | None) -> None:
    (project / "config").mkdir(parents=True, exist_ok=True)
    (project / "data").mkdir(exist_ok=True)
    (project / "config" / "bench.yaml").write_text(config_yaml().replace(
        "        keys: [EmployeeId]\n",
        '        keys: [EmployeeId]\n        resource_display_name: "{LastName} {FirstName}"\n'))
    datagen.write(project / "data" / "hr.csv", rows)
    ctx = ProjectContext.open(project, url)
    try:
        with begin_write(ctx.engine) as conn:
            deployments.deploy(conn, load_project_config(project))
            users.add_user(conn, "admin", PASSWORD, "administrator")
        start = time.perf_counter()
        run = synchronize(ctx, SyncRequest("Bench"))
        print(f"initial sync of {rows:,} rows: {time.perf_counter() - start:.1f} s, {run.state}")
        assert run.state == "succeeded", run.message
    finally:
        ctx.close()


def timed(client: TestClient, path: str, repeat: int) -> tuple[list[float], list[float]]:
    """Server time of `repeat` GETs of `path`, in milliseconds: wall clock, and the CPU time
    of the process (the app runs in it) — the figure a busy machine does not inflate."""
    times, cpu = [], []
    for _ in range(repeat):
        start, started_cpu = time.perf_counter(), time.process_time()
        answer = client.get(path, headers={"Accept": "text/html"})
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert answer.status_code == 200, answer.status_code
    return times, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", help="PostgreSQL server (default: SQLite)")
    args = parser.parse_args()
    project = args.keep or Path(tempfile.mkdtemp(prefix="list-bench-"))
    url = fresh_postgres(args.database_url) if args.database_url else None
    try:
        if url or not (project / "headcount.db").exists():
            with phase_memory() as built:
                build(project, args.rows, url)
            print(f"  build: {built.shown()}")
        app = create_app(project, url)
        client = TestClient(app)
        login(client, "admin")
        where = "PostgreSQL" if url else "SQLite"
        floor, scanned = scan_floor(app.state.headcount.engine, "Bench_Person", args.repeat)
        print(f"floor: a full scan of {scanned:,} rows' JSON, no logic, best of {args.repeat}: "
              f"{floor:.0f} ms")
        with phase_memory() as measured:
            print(f"list page of Bench_Person, {args.rows:,} resources, {where}; server time, "
                  f"median of {args.repeat} (min–max), × the floor")
            for label, query in QUERIES.items():
                times, cpu = timed(client, f"/entity-types/Bench_Person{query}", args.repeat)
                print(f"  {label:34} {statistics.median(times):7.0f} ms  "
                      f"({min(times):.0f}–{max(times):.0f}), CPU {statistics.median(cpu):.0f} ms, "
                      f"×{statistics.median(times) / floor:.2f}")
            print(f"search page (/search?q=), target ≤ {TARGET_MS} ms; load average "
                  f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
            for label, words in SEARCHES.items():
                times, cpu = timed(client, f"/search?q={quote_plus(words)}", args.repeat)
                median = statistics.median(times)
                print(f"  {label:50} {median:7.0f} ms  ({min(times):.0f}–{max(times):.0f}), "
                      f"CPU {statistics.median(cpu):.0f} ms, ×{median / floor:.2f}  "
                      f"{'ok' if median <= TARGET_MS else 'over'}")
        print(f"  pages: {measured.shown()}")
        app.state.headcount.engine.dispose()
    finally:
        if url and not args.keep:
            drop_postgres(url)


if __name__ == "__main__":
    main()
