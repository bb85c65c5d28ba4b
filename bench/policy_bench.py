"""HR → identities for N people (SPEC §14: policy + orders + direct fulfillment for 100,000
people ≤ 30 s), on the sample project's configuration, each phase next to a raw floor measured in
the same run and with its own peak memory.

Run: .venv/bin/python bench/policy_bench.py --people 100000 [--database-url URL] [--keep DIR]
     [--json OUT]
(with a PostgreSQL URL, a fresh database is created on that server and dropped afterwards)

The parent generates the sample's files (`hrfiles`, day one and the next day) and deploys the
configuration, then runs every phase in a fresh subprocess of this script (`--phase NAME
--workdir DIR`), so that each phase's peak RSS is its own. Every run is at a fixed instant taken
from the sample's dates, not the clock, so that the orders are the same whenever it runs.

  initial     HR sync of day one with the policy, at day one's noon (UTC)
  floor       the Directory's rows and links that `initial` wrote, bulk inserted into fresh
              tables with their unique indexes, one transaction, no logic
  next_day    complete run (forced) of the next day's files, at the next day's noon
  dates_none  date evaluation later the same day: nothing is due
  dates_1pct  date evaluation on the first day by which ~1 % of the people have a transition
              (contract start, the day after a contract's end, a dated move) since the next day
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from headcount.config.loader import load_project_config
from headcount.jobs.evaluation import evaluate_policy
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import deployments, runs
from headcount.repository.database import begin_write
from headcount.repository.schema import links, resources
from headcount.samples import hrfiles
from headcount.samples.hrpeople import DATE_FORMAT, PEOPLE_FILE
from sync_bench import (
    current_rss_mb,
    drop_postgres,
    fresh_postgres,
    fresh_sqlite,
    is_sqlite,
    libpq_url,
    peak_rss_mb,
    shown_url,
    source_version,
    uptime,
)

PHASES = ("initial", "floor", "next_day", "dates_none", "dates_1pct")
LABELS = {
    "initial": "initial sync with policy",
    "floor": "raw floor (bulk insert of the Directory's rows and links)",
    "next_day": "next day, complete run",
    "dates_none": "date evaluation (no file), nothing due",
    "dates_1pct": "date evaluation (no file), ~1 % due",
}
DUE_SHARE = 0.01
BATCH = 100_000


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


# --------------------------------------------------------------------------------------------
# The day by which ~1 % of the people have a transition


def transitions_until(people_csv: Path, after: date, until: date) -> int:
    """People of the HR file with a dated transition in (after, until]: a contract that starts,
    the day after a contract's last day, a position that applies from that day."""
    def day(column: str) -> pl.Expr:
        return pl.col(column).str.strptime(pl.Date, DATE_FORMAT, strict=False)

    def within(expr: pl.Expr) -> pl.Expr:
        return (expr > after) & (expr <= until)

    people = pl.scan_csv(people_csv, separator=";", encoding="utf8-lossy", infer_schema=False)
    due = people.filter(within(day("ContractStartDate"))
                        | within(day("ContractEndDate") + pl.duration(days=1))
                        | within(day("PositionStartDate")))
    return int(due.select(pl.len()).collect().item())


def one_percent_day(people_csv: Path, after: date) -> tuple[date, int, int]:
    """The first day after `after` by which ≥ 1 % of the file's people have a transition; with
    that count and the number of people."""
    total = int(pl.scan_csv(people_csv, separator=";", encoding="utf8-lossy",
                            infer_schema=False).select(pl.len()).collect().item())
    for offset in range(1, 366):
        until = after + timedelta(days=offset)
        due = transitions_until(people_csv, after, until)
        if due >= total * DUE_SHARE:
            return until, due, total
    raise ValueError(f"fewer than {DUE_SHARE:.0%} of the people have a transition in a year")


# --------------------------------------------------------------------------------------------
# The raw floor


def _directory_frames(ctx: ProjectContext) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The Directory's rows and links, as columns (read in batches: never a Python tuple per
    row for the whole set)."""
    rows = sa.select(resources.c.entity_type, resources.c.key, resources.c.data) \
        .where(resources.c.entity_type.like("Directory%"))
    edges = sa.select(links.c.source_id, links.c.navigation, links.c.target_key) \
        .where(links.c.navigation.like("Directory%"))
    with ctx.engine.connect() as conn:
        frames = [pl.concat(list(pl.read_database(query, conn, iter_batches=True,
                                                  batch_size=BATCH)), how="vertical")
                  for query in (rows, edges)]
    return frames[0], frames[1]


def _batches(frame: pl.DataFrame) -> Iterator[tuple[Any, ...]]:
    for start in range(0, frame.height, BATCH):
        yield from frame.slice(start, BATCH).iter_rows()


def raw_floor(ctx: ProjectContext, folder: Path, url: str | None) -> dict[str, Any]:
    """The least any policy step must do: write the Directory's resources (JSON) and links that
    the run wrote, as plain bulk inserts with unique indexes, in one transaction: into a fresh
    SQLite database with the engine's settings, or COPY into fresh PostgreSQL tables."""
    rows, edges = _directory_frames(ctx)
    start = time.perf_counter()
    if is_sqlite(url):
        con = fresh_sqlite(folder / "floor.db")
        con.execute("CREATE TABLE r (id INTEGER PRIMARY KEY, et TEXT, key TEXT, data TEXT)")
        con.execute("CREATE UNIQUE INDEX r_key ON r (et, key)")
        con.execute("CREATE TABLE l (id INTEGER PRIMARY KEY, source INTEGER, nav TEXT, "
                    "tkey TEXT)")
        con.execute("CREATE UNIQUE INDEX l_key ON l (source, nav, tkey)")
        con.executemany("INSERT INTO r (et, key, data) VALUES (?, ?, ?)", _batches(rows))
        con.executemany("INSERT INTO l (source, nav, tkey) VALUES (?, ?, ?)", _batches(edges))
        con.execute("COMMIT")
        con.close()
    else:
        import psycopg

        with psycopg.connect(libpq_url(str(url))) as pg:
            pg.execute("CREATE TEMP TABLE r (id bigserial PRIMARY KEY, et text, key text, "
                       "data jsonb)")
            pg.execute("CREATE UNIQUE INDEX r_key ON r (et, key)")
            pg.execute("CREATE TEMP TABLE l (id bigserial PRIMARY KEY, source bigint, nav text, "
                       "tkey text)")
            pg.execute("CREATE UNIQUE INDEX l_key ON l (source, nav, tkey)")
            with pg.cursor() as cur:
                with cur.copy("COPY r (et, key, data) FROM STDIN") as copy:
                    for row in _batches(rows):
                        copy.write_row(row)
                with cur.copy("COPY l (source, nav, tkey) FROM STDIN") as copy:
                    for edge in _batches(edges):
                        copy.write_row(edge)
    return {"seconds": time.perf_counter() - start, "resources": rows.height,
            "links": edges.height}


# --------------------------------------------------------------------------------------------
# A phase, in its own process


def run_phase(phase: str, folder: Path, url: str | None, plan: dict[str, Any]) -> dict[str, Any]:
    ctx = ProjectContext.open(folder, url)
    try:
        if phase == "floor":
            return raw_floor(ctx, folder, url)
        if phase == "next_day":
            for name in ("hr_people.csv", "hr_organizations.csv", "hr_sites.csv"):
                shutil.copyfile(folder / "data" / "next_day" / name, folder / "data" / name)
        instant = datetime.fromisoformat(plan["instants"][phase])
        start = time.perf_counter()
        if phase == "initial":
            run = synchronize(ctx, SyncRequest("HR", now=instant))
        elif phase == "next_day":
            run = synchronize(ctx, SyncRequest("HR", force=True, reason="bench", now=instant))
        else:
            run = evaluate_policy(ctx, "HR", now=instant)
        seconds = time.perf_counter() - start
    finally:
        ctx.close()
    return {"seconds": seconds, "run_id": run.id, "state": run.state, "message": run.message,
            "steps": dict(run.timings),
            "counters": {k: v for k, v in run.counters.items() if not isinstance(v, dict)},
            "orders": run.counters.get("orders") or {}}


def order_total(orders: dict[str, dict[str, int]]) -> int:
    """All the orders of a run: `orders` counts them by resource type, then by kind."""
    return sum(sum(kinds.values()) for kinds in orders.values())


def phase_main(args: argparse.Namespace) -> None:
    """One phase: its figures go to WORKDIR/results/PHASE.json."""
    workdir: Path = args.workdir.resolve()
    plan = json.loads((workdir / "plan.json").read_text())
    baseline, load_before = current_rss_mb(), os.getloadavg()
    result = run_phase(args.phase, workdir, plan["url"], plan)
    result.update({"phase": args.phase, "peak_rss_mb": round(peak_rss_mb(), 1),
                   "start_rss_mb": round(baseline, 1), "load_before": load_before,
                   "load_after": os.getloadavg()})
    (workdir / "results").mkdir(exist_ok=True)
    (workdir / "results" / f"{args.phase}.json").write_text(json.dumps(result, default=str))


# --------------------------------------------------------------------------------------------
# The orchestrating parent


def prepare(folder: Path, people: int, url: str | None) -> dict[str, Any]:
    """The sample's files and configuration, deployed; the instants of the phases."""
    (folder / "config").mkdir(parents=True, exist_ok=True)
    for name in ("hr.yaml", "directory.yaml", "policy.yaml"):
        shutil.copyfile(Path(hrfiles.__file__).with_name(name), folder / "config" / name)
    start = time.perf_counter()
    hrfiles.main(["--out", str(folder / "data"), "--people", str(people)])
    generated = time.perf_counter() - start
    ctx = ProjectContext.open(folder, url)
    try:
        with begin_write(ctx.engine) as conn:
            deployments.deploy(conn, load_project_config(folder))
    finally:
        ctx.close()
    first = hrfiles.DEFAULT_TODAY
    second = first + timedelta(days=1)
    due_day, due, total = one_percent_day(folder / "data" / "next_day" / PEOPLE_FILE,
                                          second)
    instants = {"initial": noon(first), "next_day": noon(second),
                "dates_none": noon(second) + timedelta(hours=1), "dates_1pct": noon(due_day)}
    return {"url": url, "generated_s": generated,
            "instants": {k: v.isoformat() for k, v in instants.items()},
            "due": {"day": due_day.isoformat(), "people": due, "of": total}}


def render(report: dict[str, Any]) -> str:
    phases: dict[str, dict[str, Any]] = report["phases"]
    floor = phases.get("floor", {}).get("seconds")
    due = report["plan"]["due"]
    lines = [f"policy bench — {report['people']:,} people, {report['database']}",
             f"commit {report['commit']}; load at start: {report['uptime']}", "",
             f"{'phase':<58} {'seconds':>8} {'× floor':>8} {'peak RSS':>9} {'load 1m':>11}"
             "  orders, state", "-" * 118]
    for name, res in phases.items():
        ratio = f"{res['seconds'] / floor:.1f}" if floor else "—"
        load = f"{res['load_before'][0]:.2f}→{res['load_after'][0]:.2f}"
        what = (f"{res['resources']:,} resources, {res['links']:,} links" if name == "floor"
                else f"{order_total(res['orders']):,} orders, {res['state']}")
        lines.append(f"{LABELS[name]:<58} {res['seconds']:>8.2f} {ratio:>8} "
                     f"{res['peak_rss_mb']:>6.0f} MB {load:>11}  {what}")
    lines.append("")
    for name, res in phases.items():
        if res.get("steps"):
            steps = ", ".join(f"{k} {v:.2f} s" for k, v in res["steps"].items())
            lines.append(f"{name}: {steps}")
            lines.append(f"{' ' * len(name)}  orders {res['orders']}")
    initial = phases.get("initial", {})
    if floor and initial.get("steps"):
        policy = initial["steps"].get("policy", 0.0)
        lines.append(f"HR → identities (policy + orders + direct fulfillment): {policy:.2f} s "
                     f"(target ≤ 30 s at 100,000 people); ×{policy / floor:.1f} the raw floor, "
                     f"×{policy / initial['steps'].get('apply', 1.0):.1f} the HR apply step")
    lines.append(f"~1 % due: {due['people']:,} of {due['of']:,} people have a transition by "
                 f"{due['day']} (evaluated at noon UTC)")
    return "\n".join(lines)


def parent_main(args: argparse.Namespace) -> int:
    folder: Path = (args.keep or Path(tempfile.mkdtemp(prefix="policy-bench-"))).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(folder / "results", ignore_errors=True)
    url = fresh_postgres(args.database_url) if args.database_url else None
    report: dict[str, Any] = {"people": args.people, "database": shown_url(url),
                              "uptime": uptime(), "commit": source_version(), "phases": {}}
    failed = False
    try:
        report["plan"] = plan = prepare(folder, args.people, url)
        print(f"generated {args.people:,} people in {plan['generated_s']:.1f} s", flush=True)
        (folder / "plan.json").write_text(json.dumps(plan))
        for phase in PHASES:
            print(f"  {phase}… ", end="", flush=True)
            done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--phase",
                                   phase, "--workdir", str(folder)], check=False)
            if done.returncode:
                print(f"failed (exit {done.returncode})")
                failed = True
                break
            result = json.loads((folder / "results" / f"{phase}.json").read_text())
            report["phases"][phase] = result
            print(f"{result['seconds']:.2f} s, peak {result['peak_rss_mb']:.0f} MB", flush=True)
    finally:
        if url is not None:
            drop_postgres(url)
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    report["uptime_end"] = uptime()
    print()
    print(render(report))
    print(f"load at end: {report['uptime_end']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    # The figures of a run that did not succeed mean nothing: the exit status says so.
    unfinished = [(name, r["run_id"], r["state"], r["message"])
                  for name, r in report["phases"].items()
                  if "state" in r and r["state"] not in (runs.SUCCEEDED, runs.WARNINGS)]
    if unfinished:
        print(f"runs that did not succeed: {unfinished}", file=sys.stderr)
    return 1 if failed or unfinished else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR and keep it")
    parser.add_argument("--database-url", help="PostgreSQL server (default: SQLite); a fresh "
                        "database is created on it and dropped after the run")
    parser.add_argument("--json", type=Path, metavar="OUT", help="save the figures as JSON")
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase_main(args)
    else:
        sys.exit(parent_main(args))


if __name__ == "__main__":
    main()
