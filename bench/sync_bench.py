"""SPEC §14 benchmark of the HR synchronization, each figure with its ratio to the raw floor.

Run: .venv/bin/python bench/sync_bench.py --rows 100000 [--database-url URL] [--keep DIR]
     [--json OUT] [--profile DIR] [--stop-after PHASE]

The parent process generates the files and the project configuration, then runs every phase in a
fresh subprocess of this script (`--phase NAME --workdir DIR`) so that each phase's peak RSS is its
own. A phase writes its figures to DIR/results/NAME.json; the parent prints the table.

Phases, in order (each one starts from the repository state the previous one left):
  floor        polars read_csv (all strings) + bulk insert of the rows as JSON text into a fresh
               table with a unique key index, one transaction, no logic
  initial      initial sync of the N-row file into a fresh repository
  resync_1pct  complete re-sync, 1 % of the rows with another Title
  resync_none  complete re-sync of the same file (nothing changed)
  incremental  incremental run of a ~1 % file (0.5 % changed rows + 0.5 % new rows)
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import os
import platform
import pstats
import random
import resource
import shutil
import subprocess
import sys
import time
import uuid
from itertools import pairwise
from pathlib import Path
from typing import Any

import datagen
from headcount.jobs.progress import Progress
from memory import status_mb

BENCH_DIR = Path(__file__).resolve().parent
CONNECTOR = "Bench"
CONNECTION = "Bench_People"
ENTITY_TYPE = "Bench_Person"
PHASES = ("floor", "initial", "resync_1pct", "resync_none", "incremental")
LABELS = {
    "floor": "raw floor (read_csv + bulk insert)",
    "initial": "initial sync",
    "resync_1pct": "complete re-sync, 1 % changed",
    "resync_none": "complete re-sync, nothing changed",
    "incremental": "incremental run, ~1 % rows",
}
MODES = {"initial": "initial", "resync_1pct": "complete", "resync_none": "complete",
         "incremental": "incremental"}
# The file each phase links to data/hr.csv (the connection's `path`) before it starts.
SOURCE = {"floor": "hr_base.csv", "initial": "hr_base.csv", "resync_1pct": "hr_changed.csv",
          "resync_none": "hr_changed.csv", "incremental": "hr_changed.csv"}
# SPEC §14 targets, in seconds at 1,000,000 rows; memory in MB.
TARGET_SECONDS = {"initial": 20.0, "resync_1pct": 5.0}
TARGET_RSS_MB = 1536.0
TARGET_ROWS = 1_000_000
STEPS = ("export", "prepare", "diff", "thresholds", "apply")
FLOOR_STEPS = ("read", "encode", "insert")
BIG = 10**12


# --------------------------------------------------------------------------------------------
# Files and configuration


def config_yaml() -> str:
    """All 12 columns of datagen's file: 11 scalar properties and the Manager navigation."""
    scalars = [c for c in datagen.HEADER if c != "ManagerId"]
    props = "\n".join(
        f"          - {{identifier: {c}, type: date}}" if c in ("StartDate", "EndDate")
        else f"          - {{identifier: {c}}}" for c in scalars)
    columns = "\n".join(f"          {c}: {c}" for c in scalars)
    return f"""\
# Written by bench/sync_bench.py: the benchmark's HR connector.
connectors:
  - identifier: {CONNECTOR}
    thresholds:   # generous: the bench measures, it must not be blocked
      max_inserted: {BIG}
      max_updated: {BIG}
      max_deleted: {BIG}
      max_inserted_pct: 100
      max_updated_pct: 100
      max_deleted_pct: 100
      max_links_inserted: {BIG}
      max_links_deleted: {BIG}
      max_links_inserted_pct: 100
      max_links_deleted_pct: 100
    connections:
      - identifier: {CONNECTION}
        path: data/hr.csv
        path_incremental: data/hr_incremental.csv
    entity_types:
      - identifier: {ENTITY_TYPE}
        keys: [EmployeeId]
        properties:
{props}
          - {{identifier: Manager, type: navigation, target: {ENTITY_TYPE}, flip: Subordinates}}
    mappings:
      - entity_type: {ENTITY_TYPE}
        connection: {CONNECTION}
        key: EmployeeId
        columns:
{columns}
    associations:
      - {{navigation: {ENTITY_TYPE}.Manager, connection: {CONNECTION}, column: ManagerId}}
"""


def incremental_rows(n: int) -> tuple[range, range]:
    """Rows changed (another Title) and rows added by the incremental file: ~0.5 % each."""
    return range(50, n, 200), range(n, n + max(1, n // 200))


def write_incremental(path: Path, n: int, seed: int = 1) -> None:
    """The changed and new rows, with the same random draws (phone numbers) as datagen.write so
    that only the Title of a changed row differs from what is stored."""
    changed, added = incremental_rows(n)
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(datagen.HEADER)
        for i in range(n):
            hit = i % changed.step == changed.start
            row = datagen.row(i, rng, 2 if hit else 0)  # variant 2: not the 1 % file's variant
            if hit:
                out.writerow(row)
        for i in added:
            out.writerow(datagen.row(i, rng))


def expected_counters(phase: str, n: int) -> dict[str, int]:
    changed, added = incremental_rows(n)
    return {
        "initial": {"inserted": n, "updated": 0, "deleted": 0,
                    "links_inserted": max(0, n - 10), "unresolved": 0},
        "resync_1pct": {"inserted": 0, "updated": len(range(0, n, 100)), "deleted": 0,
                        "links_inserted": 0, "links_deleted": 0},
        "resync_none": {"inserted": 0, "updated": 0, "deleted": 0, "links_inserted": 0,
                        "links_deleted": 0},
        "incremental": {"inserted": len(added), "updated": len(changed), "deleted": 0,
                        "links_inserted": len(added)},
    }.get(phase, {})


def link_source(data: Path, name: str) -> None:
    """Point data/hr.csv at one of the generated files (a hard link: instant, same inode)."""
    target, tmp = data / "hr.csv", data / ".hr.csv.tmp"
    tmp.unlink(missing_ok=True)
    os.link(data / name, tmp)
    os.replace(tmp, target)


# --------------------------------------------------------------------------------------------
# Measurements inside a phase subprocess


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def proc_status_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak so far) of this process, in MB; 0 where /proc is missing."""
    return status_mb(field)


def current_rss_mb() -> float:
    return proc_status_mb("VmRSS")


class StepMemory(Progress):
    """A Progress for synchronize() (subclassed, so that mypy flags a member it lacks): notes RSS
    and peak RSS as each step starts, so that the peak of the phase can be pinned on a step (the
    peak reached by the end of a step)."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float, float]] = []

    def run_started(self, run_id: int) -> None:
        return None  # the run's own record says which run; the steps are what is measured

    def step(self, name: str) -> None:
        self.marks.append((name, current_rss_mb(), proc_status_mb("VmHWM")))

    def summary(self) -> dict[str, dict[str, float]]:
        """step → RSS at its start and the peak reached by its end (MB); the last step's end is
        when synchronize() returns: after the commit and the job result."""
        marks = [*self.marks, ("end", current_rss_mb(), proc_status_mb("VmHWM"))]
        return {name: {"rss_start_mb": round(rss, 1), "peak_by_end_mb": round(nxt[2], 1)}
                for (name, rss, _), nxt in pairwise(marks)}


def is_sqlite(url: str | None) -> bool:
    return url is None or url.startswith("sqlite")


def libpq_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def sqlite_pragmas(con: Any) -> None:
    """The engine's own settings (headcount.repository.database), so the floor is comparable —
    but SQLite's default page size (4 KiB), whatever the engine's: the floor stays the same
    measure when the engine's page size changes."""
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-200000",
                   "temp_store=MEMORY"):
        con.execute(f"PRAGMA {pragma}")


def fresh_sqlite(db: Path) -> Any:
    """A new SQLite database for a floor, with the engine's settings, in a transaction."""
    import sqlite3

    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    con = sqlite3.connect(db, isolation_level=None)
    sqlite_pragmas(con)
    con.execute("BEGIN")
    return con


def run_floor(csv_path: Path, url: str | None, workdir: Path) -> dict[str, Any]:
    import polars as pl

    steps: dict[str, float] = {}
    cpu = time.process_time()
    start = time.perf_counter()
    frame = pl.read_csv(csv_path, infer_schema=False)
    steps["read"] = time.perf_counter() - start
    mark = time.perf_counter()
    encoded = frame.select(pl.col("EmployeeId").alias("key"),
                           pl.struct(pl.all()).struct.json_encode().alias("data"))
    del frame
    steps["encode"] = time.perf_counter() - mark
    mark = time.perf_counter()
    if is_sqlite(url):
        con = fresh_sqlite(workdir / "floor.db")
        con.execute("CREATE TABLE floor (id INTEGER PRIMARY KEY, key TEXT NOT NULL, "
                    "data TEXT NOT NULL)")
        con.execute("CREATE UNIQUE INDEX floor_key ON floor (key)")
        con.executemany("INSERT INTO floor (key, data) VALUES (?, ?)", encoded.iter_rows())
        con.execute("COMMIT")
        con.close()
    else:
        import psycopg

        assert url is not None
        with psycopg.connect(libpq_url(url)) as pg:  # one transaction, committed on exit
            pg.execute("DROP TABLE IF EXISTS bench_floor")
            pg.execute("CREATE TABLE bench_floor (id bigserial PRIMARY KEY, key text NOT NULL, "
                       "data jsonb NOT NULL)")
            pg.execute("CREATE UNIQUE INDEX bench_floor_key ON bench_floor (key)")
            with pg.cursor() as cur, cur.copy(
                    "COPY bench_floor (key, data) FROM STDIN (FORMAT csv)") as copy:
                for chunk in encoded.iter_slices(100_000):
                    copy.write(chunk.write_csv(include_header=False))
    steps["insert"] = time.perf_counter() - mark
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "cpu_seconds": round(time.process_time() - cpu, 3),
            "steps": {k: round(v, 3) for k, v in steps.items()}, "rows": encoded.height}


def run_sync(phase: str, project: Path, url: str | None, rows: int,
             profile_dir: Path | None) -> dict[str, Any]:
    from headcount.config.loader import load_project_config
    from headcount.jobs.synchronization import SyncRequest, synchronize
    from headcount.project import ProjectContext
    from headcount.repository import deployments

    setup = time.perf_counter()
    if phase == "initial" and is_sqlite(url):
        db = Path(url.removeprefix("sqlite:///")) if url else project / "headcount.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    ctx = ProjectContext.open(project, url)
    try:
        if phase == "initial":
            with ctx.engine.begin() as conn:
                deployments.deploy(conn, load_project_config(project))
        setup_seconds = time.perf_counter() - setup
        request = SyncRequest(CONNECTOR, mode=MODES[phase])
        profiler = cProfile.Profile() if profile_dir else None
        memory = StepMemory()
        memory.step("setup")  # imports, migrations, deployment: the RSS before the run
        cpu = time.process_time()
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        run = synchronize(ctx, request, memory)
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu
    finally:
        ctx.close()
    if profiler and profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(profile_dir / f"{phase}.prof")
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text).strip_dirs()
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(30)
        (profile_dir / f"{phase}.txt").write_text(text.getvalue())
    counters = {k: v for k, v in run.counters.items() if not isinstance(v, dict)}
    expected = expected_counters(phase, rows)
    wrong = {k: (counters.get(k), v) for k, v in expected.items() if counters.get(k) != v}
    out: dict[str, Any] = {
        "seconds": seconds, "cpu_seconds": round(cpu_seconds, 3),
        "setup_seconds": round(setup_seconds, 3), "run_id": run.id,
        "state": run.state, "message": run.message, "steps": dict(run.timings),
        "memory_by_step": memory.summary(),
        "counters": counters, "set_aside": run.counters.get("set_aside", {}),
        "expected": expected,
        "check": "ok" if not wrong else "MISMATCH " + ", ".join(
            f"{k}={got} (expected {want})" for k, (got, want) in wrong.items()),
    }
    if is_sqlite(url):
        db = Path(url.removeprefix("sqlite:///")) if url else project / "headcount.db"
        out["db_mb"] = round(sum(Path(f"{db}{s}").stat().st_size for s in ("", "-wal")
                                 if Path(f"{db}{s}").exists()) / 2**20, 1)
    return out


def phase_main(args: argparse.Namespace) -> None:
    """One phase, in its own process: figures go to WORKDIR/results/PHASE.json."""
    phase, workdir = args.phase, args.workdir.resolve()
    project = workdir / "project"
    baseline = current_rss_mb()
    load_before = os.getloadavg()
    link_source(project / "data", SOURCE[phase])
    if phase == "floor":
        result = run_floor(project / "data" / "hr.csv", args.database_url, workdir)
    else:
        result = run_sync(phase, project, args.database_url, args.rows, args.profile)
    result.update({
        "phase": phase, "peak_rss_mb": round(peak_rss_mb(), 1),
        "start_rss_mb": round(baseline, 1), "load_before": load_before,
        "load_after": os.getloadavg(),
    })
    results = workdir / "results"
    results.mkdir(exist_ok=True)
    (results / f"{phase}.json").write_text(json.dumps(result, indent=2, default=str))


# --------------------------------------------------------------------------------------------
# The orchestrating parent


def generate(project: Path, rows: int) -> float:
    start = time.perf_counter()
    (project / "config").mkdir(parents=True, exist_ok=True)
    data = project / "data"
    data.mkdir(exist_ok=True)
    (project / "config" / "bench.yaml").write_text(config_yaml())
    datagen.write(data / "hr_base.csv", rows)
    datagen.write(data / "hr_changed.csv", rows, changed_pct=1)
    write_incremental(data / "hr_incremental.csv", rows)
    return time.perf_counter() - start


def fresh_postgres(url: str) -> str:
    """A new database on the server of `url`, so that the initial sync starts empty."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"hc_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(libpq_url(url), autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_postgres(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    bench = make_url(url)
    admin = bench.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(libpq_url(admin), autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {bench.database} WITH (FORCE)")


def shown_url(url: str | None) -> str:
    if url is None:
        return "sqlite (headcount.db in the project folder, WAL)"
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True,
                              check=False).stdout.strip()
    except OSError:
        return "load average: {:.2f}, {:.2f}, {:.2f}".format(*os.getloadavg())


def source_version() -> str:
    """The commit measured, with `+dirty` when src/ has uncommitted changes."""
    root = BENCH_DIR.parent
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "src"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def scaled_target(phase: str, rows: int) -> str:
    if phase not in TARGET_SECONDS:
        return ""
    target = TARGET_SECONDS[phase]
    if rows == TARGET_ROWS:
        return f"≤ {target:g} s"
    return f"≤ {target:g} s @1M (~{target * rows / TARGET_ROWS:.2g} s)"


def verdict(phase: str, seconds: float, rows: int) -> str:
    if phase not in TARGET_SECONDS:
        return ""
    limit = TARGET_SECONDS[phase] * rows / TARGET_ROWS
    return "ok" if seconds <= limit else f"{seconds / limit:.1f}× over"


def render(report: dict[str, Any]) -> str:
    rows: int = report["rows"]
    phases: dict[str, dict[str, Any]] = report["phases"]
    floor = phases.get("floor", {}).get("seconds")
    lines = [
        f"headcount sync bench — {rows:,} rows × 12 columns, {report['database']}",
        f"commit {report['commit']}, python {report['python']}, {report['cpus']} CPUs; "
        f"load at start: {report['uptime']}",
        "",
        f"{'figure':<36} {'seconds':>8} {'× floor':>8} {'target':<22} {'verdict':<12} "
        f"{'peak RSS':>9} {'load 1m':>9}  check",
        "-" * 128,
    ]
    for name, res in phases.items():
        ratio = f"{res['seconds'] / floor:.2f}" if floor else "—"
        load = f"{res['load_before'][0]:.2f}→{res['load_after'][0]:.2f}"
        check = res.get("check", "")
        if res.get("state") and res["state"] not in ("succeeded",):
            check = f"{res['state']}; {check}"
        lines.append(
            f"{LABELS[name]:<36} {res['seconds']:>8.2f} {ratio:>8} "
            f"{scaled_target(name, rows):<22} {verdict(name, res['seconds'], rows):<12} "
            f"{res['peak_rss_mb']:>6.0f} MB {load:>9}  {check}")
    peak = max((r["peak_rss_mb"] for r in phases.values()), default=0.0)
    lines.append(f"{'peak memory, worst phase':<36} {'':>8} {'':>8} "
                 f"{f'≤ {TARGET_RSS_MB:g} MB @1M':<22} "
                 f"{'ok' if peak <= TARGET_RSS_MB else 'over':<12} {peak:>6.0f} MB")
    # CPU time (user + system, every thread of the phase's process) moves less than wall time
    # with what else the machine runs: a fairer before/after on a busy machine.
    lines += ["", "CPU seconds (user + system, all threads; waits for the disk not counted): "
              + ", ".join(f"{name} {res['cpu_seconds']:.2f}" for name, res in phases.items()
                          if "cpu_seconds" in res)]
    lines += ["", "per-step seconds (run.timings; `other` = wall − steps: run bookkeeping, "
              "counting, job result, commit)",
              f"{'phase':<14}" + "".join(f"{s:>11}" for s in STEPS) + f"{'other':>11}"
              + f"{'wall':>11}{'setup':>9}",
              "-" * 105]
    for name, res in phases.items():
        steps: dict[str, float] = res.get("steps", {})
        if name == "floor":
            parts = "  ".join(f"{s} {steps.get(s, 0):.2f}" for s in FLOOR_STEPS)
            lines.append(f"{name:<14}{parts}   (wall {res['seconds']:.2f})")
            continue
        other = res["seconds"] - sum(steps.values())
        lines.append(f"{name:<14}" + "".join(
            f"{steps[s]:>11.2f}" if s in steps else f"{'—':>11}" for s in STEPS)
            + f"{other:>11.2f}{res['seconds']:>11.2f}{res.get('setup_seconds', 0):>9.2f}")
    lines += ["", "memory (MB): RSS at process start → peak reached by the end of each step "
              "(setup = imports, migrations; the last step includes the commit)"]
    for name, res in phases.items():
        by_step: dict[str, dict[str, float]] = res.get("memory_by_step", {})
        marks = "  ".join(f"{s} {m['peak_by_end_mb']:.0f}" for s, m in by_step.items())
        lines.append(f"{name:<14}start {res['start_rss_mb']:.0f} → {marks or '—'}"
                     f"  (peak {res['peak_rss_mb']:.0f})")
    counters = [f"{n}: " + ", ".join(f"{k}={v}" for k, v in r["counters"].items())
                for n, r in phases.items() if "counters" in r]
    lines += ["", "counters", *counters]
    sizes = [f"{n} {r['db_mb']} MB" for n, r in phases.items() if "db_mb" in r]
    if sizes:
        lines.append("SQLite file (db + wal) after: " + ", ".join(sizes))
    if report.get("profiled"):
        lines.append(f"(profiled with cProfile into {report['profiled']}: sync timings inflated)")
    return "\n".join(lines)


def parent_main(args: argparse.Namespace) -> int:
    rows: int = args.rows
    keep: Path | None = args.keep
    if keep:
        workdir = keep.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        (BENCH_DIR / "out").mkdir(exist_ok=True)
        workdir = BENCH_DIR / "out" / f"run-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        workdir.mkdir()
    shutil.rmtree(workdir / "results", ignore_errors=True)
    url: str | None = args.database_url
    created: str | None = None
    print(f"work dir {workdir}; generating {rows:,}-row files…", flush=True)
    print(f"  generated in {generate(workdir / 'project', rows):.1f} s", flush=True)
    if url is not None and not is_sqlite(url):
        url = created = fresh_postgres(url)
        print(f"  fresh database {shown_url(url)}", flush=True)
    report: dict[str, Any] = {
        "rows": rows, "database": shown_url(url), "uptime": uptime(),
        "python": platform.python_version(), "cpus": os.cpu_count(),
        "commit": source_version(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "phases": {},
        "profiled": str(args.profile) if args.profile else None,
    }
    failed = False
    try:
        for phase in PHASES:
            command = [sys.executable, str(Path(__file__).resolve()), "--phase", phase,
                       "--workdir", str(workdir), "--rows", str(rows)]
            if url:
                command += ["--database-url", url]
            if args.profile:
                command += ["--profile", str(args.profile.resolve())]
            print(f"  {phase}… ", end="", flush=True)
            done = subprocess.run(command, check=False)
            if done.returncode:
                print(f"failed (exit {done.returncode})")
                failed = True
                break
            result = json.loads((workdir / "results" / f"{phase}.json").read_text())
            report["phases"][phase] = result
            print(f"{result['seconds']:.2f} s, peak {result['peak_rss_mb']:.0f} MB"
                  + (f", {result['state']}, {result['check']}" if "state" in result else ""),
                  flush=True)
            if phase == args.stop_after:
                break
        report["uptime_end"] = uptime()
        print()
        print(render(report))
        print(f"load at end: {report['uptime_end']}")
        if args.json:
            args.json.write_text(json.dumps(report, indent=2, default=str))
            print(f"saved {args.json}")
    finally:
        if created and not keep:
            drop_postgres(created)
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", help="SQLAlchemy URL; a PostgreSQL URL names a server "
                        "(a fresh database is created on it, and dropped unless --keep)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="work in DIR and keep it (files, SQLite databases, results)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="save the figures as JSON")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="cProfile each sync phase into DIR/PHASE.prof and DIR/PHASE.txt")
    parser.add_argument("--stop-after", choices=PHASES, help="skip the later phases")
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase_main(args)
        return
    sys.exit(parent_main(args))


if __name__ == "__main__":
    main()
