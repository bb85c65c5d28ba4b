"""The floor of a read benchmark: every row of an entity type read by the database with no
logic — its JSON text scanned for words found nowhere, counted, nothing parsed, nothing sent.
A page that reads every row (a search matching none) cannot cost less; a page that costs a small
part of it reads few rows."""

from __future__ import annotations

import time

import sqlalchemy as sa

from headcount.repository.schema import resources


def scan_floor(engine: sa.Engine, entity_type: str, repeat: int) -> tuple[float, int]:
    """The best of `repeat` full scans, in milliseconds (the first warms the cache as the
    pages' first call does), and the rows scanned."""
    query = sa.select(sa.func.count()).select_from(resources).where(
        resources.c.entity_type == entity_type, resources.c.data.like("%zzzz-nobody%"))
    everyone = sa.select(sa.func.count()).select_from(resources).where(
        resources.c.entity_type == entity_type)
    best = float("inf")
    with engine.connect() as conn:
        rows = int(conn.execute(everyone).scalar_one())
        for _ in range(max(repeat, 1)):
            start = time.perf_counter()
            conn.execute(query).scalar_one()
            best = min(best, (time.perf_counter() - start) * 1000)
    return best, rows
