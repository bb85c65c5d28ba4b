"""File-shape guards (SPEC §4.4, §15.4): before any change, compare the file with the last
accepted one — an empty file, far fewer rows, a changed header block the run with a reason."""

from __future__ import annotations

from dataclasses import dataclass

from headcount.config.model import Thresholds
from headcount.connections.reader import SourceTable
from headcount.sync.shapes import drifted, profile


@dataclass(frozen=True)
class AcceptedFile:
    rows: int
    header: list[str]
    shapes: dict[str, dict[str, float]]


@dataclass
class ShapeReport:
    blocking: list[str]
    warnings: list[str]


def check_shape(table: SourceTable, previous: AcceptedFile | None, limits: Thresholds,
                mapped: set[str]) -> ShapeReport:
    name = table.file.name
    report = ShapeReport([], [])
    rows = table.frame.height + len(table.rejected)
    if rows == 0:
        if previous is not None and previous.rows > 0:
            report.blocking.append(f"{name}: the file is empty (the last accepted one had "
                                   f"{previous.rows:,} rows)")
        return report
    if previous is None:
        return report
    drop = limits.max_rows_drop_pct
    if drop is not None and previous.rows and rows < previous.rows * (1 - drop / 100):
        report.blocking.append(
            f"{name}: {rows:,} rows where the last accepted file had {previous.rows:,} "
            f"({100 * (previous.rows - rows) / previous.rows:.0f} % fewer; "
            f"max_rows_drop_pct = {drop:g} %)")
    added = [c for c in table.header if c not in previous.header]
    removed = [c for c in previous.header if c not in table.header]
    if added:
        report.warnings.append(f"{name}: new unmapped columns: {', '.join(added)}"
                               if not set(added) & mapped else
                               f"{name}: new columns: {', '.join(added)}")
    if removed:
        report.warnings.append(f"{name}: columns no longer present: {', '.join(removed)}")
    before = [c for c in previous.header if c in mapped and c in table.header]
    now = [c for c in table.header if c in mapped and c in previous.header]
    if before != now:
        report.blocking.append(
            f"{name}: the header changed: mapped columns are in another order "
            f"({', '.join(now)} where the last accepted file had {', '.join(before)})")
    for drift in drifted(previous.shapes, profile(table.frame, sorted(mapped))):
        report.blocking.append(f"{name}: {drift}")
    return report
