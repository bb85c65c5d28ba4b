"""The list page over a million resources (SPEC §14: ≤ 300 ms with a search, on SQLite).

Builds (or reuses, with --keep) a project of N synchronized Bench_Person resources, then times the
server side of the list page — the page handler, query and template, through the ASGI app in
process, no network — for: the first page, a search matching many, a search matching one, a
search matching none (a full scan), a filter, and a sort on a property.

Run: .venv/bin/python bench/list_bench.py --rows 1000000 [--keep DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

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
from sync_bench import config_yaml
from webproject import PASSWORD, login

QUERIES = {
    "first page": "",
    "search, many matches (Martin)": "?q=Martin",
    "search, one match (E0500000)": "?q=E0500000",
    "search, no match (a full scan)": "?q=zzzz-nobody",
    "filter Site = S07": "?fp=Site&fv=S07",
    "sort by LastName": "?sort=LastName",
}


def build(project: Path, rows: int) -> None:
    (project / "config").mkdir(parents=True, exist_ok=True)
    (project / "data").mkdir(exist_ok=True)
    (project / "config" / "bench.yaml").write_text(config_yaml())
    datagen.write(project / "data" / "hr.csv", rows)
    ctx = ProjectContext.open(project)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    project = args.keep or Path(tempfile.mkdtemp(prefix="list-bench-"))
    if not (project / "headcount.db").exists():
        build(project, args.rows)
    client = TestClient(create_app(project))
    login(client, "admin")
    print(f"list page of Bench_Person, {args.rows:,} resources, SQLite; server time, "
          f"median of {args.repeat} (min–max)")
    for label, query in QUERIES.items():
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            answer = client.get(f"/entity-types/Bench_Person{query}",
                                headers={"Accept": "text/html"})
            times.append((time.perf_counter() - start) * 1000)
            assert answer.status_code == 200, answer.status_code
        print(f"  {label:34} {statistics.median(times):7.0f} ms  "
              f"({min(times):.0f}–{max(times):.0f})")


if __name__ == "__main__":
    main()
