"""What the queue costs a run (docs/jobs.md): the same complete re-sync (nothing changed) run
directly, as `headcount sync` does, and through the queue, as a scheduled or launched job is —
`submit`, a worker claiming the job run, the heartbeat thread, the outcome recorded. Each figure
is the median of `--repeat` alternated runs; the overhead is the difference.

Run: .venv/bin/python bench/jobs_bench.py --rows 100000 [--repeat 5] [--keep DIR] [--json OUT]

SQLite, the embedded default (the queue of PostgreSQL is procrastinate's: its own benchmark
belongs with it).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import datagen
from headcount.config.loader import load_project_config
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import deployments, jobruns
from headcount.scheduling import JobRequest, submit
from headcount.scheduling.worker import Worker
from sync_bench import CONNECTOR, config_yaml


def project(folder: Path, rows: int) -> ProjectContext:
    (folder / "config").mkdir(parents=True)
    (folder / "data").mkdir()
    (folder / "config" / "bench.yaml").write_text(config_yaml(), encoding="utf-8")
    datagen.write(folder / "data" / "hr.csv", rows)
    ctx = ProjectContext.open(folder, f"sqlite:///{folder}/headcount.db")
    with ctx.engine.begin() as conn:
        deployments.deploy(conn, load_project_config(folder))
    return ctx


def direct(ctx: ProjectContext) -> float:
    start = time.perf_counter()
    run = synchronize(ctx, SyncRequest(CONNECTOR, "complete"))
    elapsed = time.perf_counter() - start
    assert run.state == "succeeded", run.message
    return elapsed


def queued(ctx: ProjectContext) -> float:
    start = time.perf_counter()
    job_run_id = submit(ctx, JobRequest(CONNECTOR, mode="complete", actor="bench"))
    Worker(ctx, schedule=False).run(threading.Event(), once=True)
    elapsed = time.perf_counter() - start
    done = jobruns.get_one(ctx.engine, job_run_id)
    assert done is not None
    assert done.state == jobruns.SUCCEEDED, done.message
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="Work here and keep it.")
    parser.add_argument("--json", type=Path, help="Save the figures as JSON.")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="jobs-bench-"))
    ctx = project(work / "project", args.rows)
    try:
        assert synchronize(ctx, SyncRequest(CONNECTOR, "initial")).state == "succeeded"
        times: dict[str, list[float]] = {"direct": [], "queued": []}
        for _ in range(args.repeat):  # alternated: a drift of the machine touches both
            times["direct"].append(direct(ctx))
            times["queued"].append(queued(ctx))
    finally:
        ctx.close()
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    medians = {k: statistics.median(v) for k, v in times.items()}
    overhead = medians["queued"] - medians["direct"]
    figures: dict[str, Any] = {
        "rows": args.rows, "repeat": args.repeat, "direct_s": round(medians["direct"], 4),
        "queued_s": round(medians["queued"], 4), "overhead_s": round(overhead, 4),
        "overhead_pct": round(100 * overhead / medians["direct"], 2)}
    print(f"complete re-sync of {args.rows:,} rows, median of {args.repeat}:")
    print(f"  direct (headcount sync)       {medians['direct']:8.3f} s")
    print(f"  through the queue (a job run) {medians['queued']:8.3f} s")
    print(f"  the queue's cost              {overhead:+8.3f} s "
          f"({figures['overhead_pct']:+.1f} %)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
