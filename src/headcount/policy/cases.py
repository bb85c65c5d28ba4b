"""Correlation cases (SPEC §6.1): a source that only matches targets below confidence 100 waits
for a person to decide; the case stays open, and is not opened twice."""

from __future__ import annotations

import json

import sqlalchemy as sa

from headcount.policy.evaluation import CorrelationCase
from headcount.repository.runs import now
from headcount.repository.schema import correlation_cases


def open_cases(conn: sa.Connection, cases: list[CorrelationCase], run_id: int) -> int:
    """Record the cases not already open; returns how many were opened."""
    existing = {(rt, sk) for rt, sk in conn.execute(
        sa.select(correlation_cases.c.resource_type, correlation_cases.c.source_key)
        .where(correlation_cases.c.state == "open"))}
    new = [c for c in cases if (c.resource_type, c.source_key) not in existing]
    if new:
        conn.execute(sa.insert(correlation_cases), [
            {"resource_type": c.resource_type, "source_key": c.source_key,
             "candidates": json.dumps(list(c.candidates)), "confidence": c.confidence,
             "state": "open", "run_id": run_id, "created_at": now()} for c in new])
    return len(new)


def decided_new(conn: sa.Connection) -> set[tuple[str, str]]:
    """(resource type, source key) of the cases a person resolved as `new`: those sources get
    a target of their own, whatever lower-confidence rules match."""
    return {(rt, sk) for rt, sk in conn.execute(
        sa.select(correlation_cases.c.resource_type, correlation_cases.c.source_key)
        .where(correlation_cases.c.decision == "new"))}
