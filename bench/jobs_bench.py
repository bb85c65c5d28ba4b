"""What the queue costs a run (docs/jobs.md): the same complete re-sync (nothing changed) run
directly, as `headcount sync` does, and through the queue, as a scheduled or launched job is —
`submit`, a worker claiming the job run, the heartbeat thread, the outcome recorded. Each figure
is the median of `--repeat` alternated runs; the overhead is the difference.

Run: .venv/bin/python bench/jobs_bench.py --rows 100000 [--repeat 5] [--keep DIR] [--json OUT]
     [--database-url URL]

SQLite by default, whose queue is the `job_runs` table; with a PostgreSQL URL (a fresh database
is created on that server and dropped after the run) the queue is procrastinate's. The direct run
is the floor of the queued one: the ratio is what the queue multiplies a run by. Each phase (the
initial sync, the direct runs, the queued runs) prints its peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
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
from memory import PhaseMemory, phase_memory
from sync_bench import CONNECTOR, config_yaml, drop_postgres, fresh_postgres


def project(folder: Path, rows: int, url: str | None) -> ProjectContext:
    (folder / "config").mkdir(parents=True)
    (folder / "data").mkdir()
    (folder / "config" / "bench.yaml").write_text(config_yaml(), encoding="utf-8")
    datagen.write(folder / "data" / "hr.csv", rows)
    ctx = ProjectContext.open(folder, url or f"sqlite:///{folder}/headcount.db")
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
    parser.add_argument("--database-url", help="PostgreSQL server (default: SQLite); a fresh "
                        "database is created on it and dropped after the run")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="jobs-bench-"))
    url = fresh_postgres(args.database_url) if args.database_url else None
    ctx = project(work / "project", args.rows, url)
    memory: dict[str, PhaseMemory] = {}
    try:
        with phase_memory() as memory["initial"]:
            assert synchronize(ctx, SyncRequest(CONNECTOR, "initial")).state == "succeeded"
        times: dict[str, list[float]] = {"direct": [], "queued": []}
        for _ in range(args.repeat):  # alternated: a drift of the machine touches both
            for name, run in (("direct", direct), ("queued", queued)):
                # The peak of every run of a kind, each one's own.
                with phase_memory() as measured:
                    times[name].append(run(ctx))
                if measured.peak_mb >= getattr(memory.get(name), "peak_mb", 0.0):
                    memory[name] = measured
    finally:
        ctx.close()
        if url is not None:
            drop_postgres(url)
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    medians = {k: statistics.median(v) for k, v in times.items()}
    overhead = medians["queued"] - medians["direct"]
    figures: dict[str, Any] = {
        "rows": args.rows, "repeat": args.repeat, "database": "postgresql" if url else "sqlite",
        "direct_s": round(medians["direct"], 4),
        "queued_s": round(medians["queued"], 4), "overhead_s": round(overhead, 4),
        "overhead_pct": round(100 * overhead / medians["direct"], 2),
        "ratio_to_floor": round(medians["queued"] / medians["direct"], 3),
        "memory": {k: m.figures() for k, m in memory.items()}}
    print(f"complete re-sync of {args.rows:,} rows, {figures['database']}, median of "
          f"{args.repeat}; load average {os.getloadavg()[0]:.2f}:")
    print(f"  initial sync (setting up)                         {memory['initial'].shown()}")
    print(f"  direct (headcount sync), the floor  {medians['direct']:8.3f} s  "
          f"{memory['direct'].shown()}")
    print(f"  through the queue (a job run)       {medians['queued']:8.3f} s  "
          f"{memory['queued'].shown()}")
    print(f"  the queue's cost                    {overhead:+8.3f} s "
          f"({figures['overhead_pct']:+.1f} %), ×{figures['ratio_to_floor']:.2f} the floor")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
