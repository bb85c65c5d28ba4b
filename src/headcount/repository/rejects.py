"""The rows a run set aside, as the CSV people download (SPEC §4.6): line numbers, reasons, and
cells that spreadsheets cannot execute (SPEC §13)."""

from __future__ import annotations

import csv
from typing import TextIO

import sqlalchemy as sa

from headcount.cells import formula_safe
from headcount.repository.runs import get_run
from headcount.repository.schema import set_aside

HEADER = ["connection", "line", "key", "category", "reason", "row"]


def write_rejects(conn: sa.Connection, run_id: int, handle: TextIO) -> None:
    get_run(conn, run_id)  # NotFound for an unknown run
    rows = conn.execute(sa.select(
        set_aside.c.connection, set_aside.c.line, set_aside.c.key, set_aside.c.category,
        set_aside.c.reason, set_aside.c.raw).where(set_aside.c.run_id == run_id)
        .order_by(set_aside.c.connection, set_aside.c.line)).all()
    writer = csv.writer(handle)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([formula_safe(v) for v in row])
