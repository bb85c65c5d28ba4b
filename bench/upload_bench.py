"""Verify and load an upload workbook of N people (issue 11: a 50,000-row XLSX verified and loaded
in ≤ 10 s), with its ratio to a raw read of the same file.

1. a source project: the sample's configuration and HR files for N people, synchronized (HR, then
   the Directory by the policy); its **full template** written (XLSX: a tab per entity type of
   the Directory with every resource) — the workbook an HR operator would fill;
2. the floor: `read_workbook` of that file (unzip, parse every cell to text), nothing else;
3. a target project with the same configuration and an empty repository: `receive` (keep the
   file, read, verify) then `load` (an initial synchronization of the Directory through the
   engine) — the figure the issue targets;
4. the same file uploaded again into the target (a complete run that finds nothing to change:
   twice equals once, at size);
5. a mass update: the target's full template with the Command column, every row `Modify` and
   the phone number of 1 % of the records changed — `receive` (keep, read, verify).

Run: .venv/bin/python bench/upload_bench.py --people 50000 [--database-url URL] [--json OUT]
(with a PostgreSQL URL, fresh databases are created on that server and dropped afterwards)
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parent))

from headcount.config.loader import load_project_config
from headcount.connections.reader import LINE
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import deployments, runs
from headcount.repository.database import begin_write
from headcount.samples import hrfiles
from headcount.upload import uploads
from headcount.upload.templates import write_template
from headcount.upload.workbook import UploadLimits, read_workbook
from memory import PhaseMemory, phase_memory
from sync_bench import drop_postgres, fresh_postgres, peak_rss_mb

CONFIG = ("hr.yaml", "directory.yaml", "policy.yaml")
TARGET_SECONDS = 10.0
CHANGED_SHARE = 0.01  # of the records, in the mass update
FLOOR = "floor: read_workbook"
VERIFY = "receive (keep, read, verify)"
LOAD = "load (initial run of the Directory)"
MASS = "mass update: receive (keep, read, verify)"


def _project(folder: Path, url: str | None) -> ProjectContext:
    (folder / "config").mkdir(parents=True, exist_ok=True)
    for name in CONFIG:
        shutil.copyfile(Path(hrfiles.__file__).with_name(name), folder / "config" / name)
    ctx = ProjectContext.open(folder, url)
    with begin_write(ctx.engine) as conn:
        deployments.deploy(conn, load_project_config(folder))
    return ctx


def _mass_update(ctx: ProjectContext, path: Path) -> int:
    """The full template with the Command column, every row Modify, the phone number of one
    record in a hundred changed, written at `path`; returns how many rows it changes."""
    out = io.BytesIO()
    with ctx.engine.connect() as conn:
        write_template(conn, ctx.deployed()[1], out, "full", "xlsx", command_column=True)
    template = path.with_name("template-command.xlsx")
    template.write_bytes(out.getvalue())
    book = read_workbook(template, UploadLimits(max_bytes=1 << 31))
    every = round(1 / CHANGED_SHARE)
    changed = 0
    writer = xlsxwriter.Workbook(str(path), {"constant_memory": True,
                                             "strings_to_formulas": False,
                                             "strings_to_numbers": False})
    for sheet in book.sheets:
        if sheet.name in book.hidden:
            continue  # the Lists tab: verify reads past it
        rows = sheet.frame.drop(LINE).rows()
        phone = rows[0].index("Phone number") if "Phone number" in rows[0] else None
        out_sheet = writer.add_worksheet(sheet.name)
        for r, row in enumerate(rows):
            cells = list(row)
            if r >= 2:  # after the header and notes rows
                cells[0] = "Modify"
                if phone is not None and r % every == 0:
                    cells[phone] = f"+33 1 00 {r // 10_000:02d} {r % 10_000:04d}"
                    changed += 1
            for c, value in enumerate(cells):
                if value is not None:
                    out_sheet.write_string(r, c, value)
    writer.close()
    return changed


class Phases:
    """Each phase's seconds and its own peak RSS (bench/memory.py)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.memory: dict[str, PhaseMemory] = {}

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        with phase_memory() as self.memory[name]:
            start = time.perf_counter()
            yield
            self.seconds[name] = round(time.perf_counter() - start, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--keep", type=Path, help="keep the projects in this folder")
    parser.add_argument("--database-url", help="PostgreSQL server (default: SQLite)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="upload-bench-"))
    urls = [fresh_postgres(args.database_url) if args.database_url else None for _ in range(2)]
    phases = Phases()
    figures = phases.seconds
    report: dict[str, Any] = {"people": args.people, "seconds": figures}
    try:
        source = _project(folder / "source", urls[0])
        try:
            with phases.timed("setup: generate and synchronize the source"):
                hrfiles.main(["--out", str(folder / "source" / "data"), "--people",
                              str(args.people)])
                run = synchronize(source, SyncRequest("HR"))
            if run.state not in (runs.SUCCEEDED, runs.WARNINGS):
                sys.exit(f"the source project's run {run.id} ended {run.state}: {run.message}")
            workbook = folder / "workforce.xlsx"
            with phases.timed("full template written"), source.engine.connect() as conn, \
                    workbook.open("wb") as out:
                write_template(conn, source.deployed()[1], out, "full", "xlsx")
        finally:
            source.close()

        with phases.timed(FLOOR):
            read = read_workbook(workbook, UploadLimits(max_bytes=1 << 31))
        floor = figures[FLOOR]
        report["rows"] = {s.name: s.frame.height for s in read.sheets}
        report["bytes"] = workbook.stat().st_size
        del read

        target = _project(folder / "target", urls[1])
        try:
            content = workbook.read_bytes()
            with phases.timed(VERIFY):
                upload, verification = uploads.receive(target, content, workbook.name, "bench")
            verify_s = figures[VERIFY]
            if verification is None or not verification.ok:
                problems = [] if verification is None else verification.errors[:10]
                sys.exit(f"upload {upload.id} ended {upload.state}: {upload.message} "
                         f"{[(p.where, p.message) for p in problems]}")
            with phases.timed(LOAD):
                loaded = uploads.load(target, upload.id, "bench")
            load_s = figures[LOAD]
            report["load"] = {"run": loaded.id, "state": loaded.state,
                              "counters": loaded.counters, "timings": loaded.timings}
            if loaded.state not in (runs.SUCCEEDED, runs.WARNINGS):
                sys.exit(f"load run {loaded.id} ended {loaded.state}: {loaded.message}")
            with phases.timed("the same file again (receive + complete load)"):
                again, _ = uploads.receive(target, content, workbook.name, "bench")
                rerun = uploads.load(target, again.id, "bench")
            report["again"] = {"state": rerun.state, "counters": rerun.counters,
                              "timings": rerun.timings}
            update = folder / "mass-update.xlsx"
            changed = _mass_update(target, update)
            with phases.timed(MASS):
                sent, checked = uploads.receive(target, update.read_bytes(), update.name,
                                                "bench")
            report["mass_update"] = {
                "rows": sum(t.rows for t in checked.tabs) if checked else 0,
                "changed": changed, "mode": sent.mode, "state": sent.state,
                "errors": sent.errors, "warnings": sent.warnings}
        finally:
            target.close()
    finally:
        for url in urls:
            if url is not None:
                drop_postgres(url)
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    total = verify_s + load_s
    report["peak_rss_mb"] = round(peak_rss_mb(), 1)
    report["ratio_to_floor"] = round(total / floor, 2) if floor else None
    rows = sum(report["rows"].values())
    print(f"workbook: {args.people:,} people, {rows:,} rows in "
          f"{len(report['rows'])} tabs, {report['bytes']:,} bytes")
    for name, seconds in figures.items():
        print(f"  {name}: {seconds:.2f} s; {phases.memory[name].shown()}")
    report["memory"] = {k: m.figures() for k, m in phases.memory.items()}
    report["load_average"] = os.getloadavg()
    print(f"verify + load: {total:.2f} s (target ≤ {TARGET_SECONDS:.0f} s at 50,000 rows), "
          f"×{total / floor:.1f} the raw read ({floor:.2f} s); peak RSS "
          f"{report['peak_rss_mb']:,.0f} MB")
    print(f"load counters: {report['load']['counters']}")
    print(f"the same file again: {report['again']['state']}, counters "
          f"{report['again']['counters']}")
    mass = report["mass_update"]
    print(f"mass update ({mass['rows']:,} Modify rows, {mass['changed']:,} changed): verified "
          f"in {figures[MASS]:.2f} s, {mass['state']}, "
          f"{mass['errors']:,} errors, {mass['warnings']:,} warnings")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
