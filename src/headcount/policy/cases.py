"""Correlation cases (SPEC §6.1): a source that only matches targets below confidence 100 waits
for a person to decide; the case stays open, and is not opened twice."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, overload

import sqlalchemy as sa

from headcount.errors import HeadcountError, NotFound
from headcount.policy.correlation import Candidate, CorrelationCase
from headcount.repository.runs import audit, now
from headcount.repository.schema import correlation_cases, ownership


def open_cases(conn: sa.Connection, cases: list[CorrelationCase], run_id: int) -> int:
    """Record the cases not already open; returns how many were opened."""
    existing = {(rt, sk) for rt, sk in conn.execute(
        sa.select(correlation_cases.c.resource_type, correlation_cases.c.source_key)
        .where(correlation_cases.c.state == "open"))}
    new = [c for c in cases if (c.resource_type, c.source_key) not in existing]
    if new:
        conn.execute(sa.insert(correlation_cases), [
            {"resource_type": c.resource_type, "source_key": c.source_key,
             "candidates": json.dumps([{"key": x.key, "score": x.score,
                                        "matched": list(x.matched)} for x in c.candidates],
                                       ensure_ascii=False),
             "confidence": c.confidence,
             "state": "open", "run_id": run_id, "created_at": now()} for c in new])
    return len(new)


def decided_new(conn: sa.Connection) -> set[tuple[str, str]]:
    """(resource type, source key) of the cases a person resolved as `new`: those sources get
    a target of their own, whatever lower-confidence rules match."""
    return {(rt, sk) for rt, sk in conn.execute(
        sa.select(correlation_cases.c.resource_type, correlation_cases.c.source_key)
        .where(correlation_cases.c.decision == "new"))}


# Reading and deciding cases (SPEC §6.1): what the pages, the API and the CLI share.

DECISIONS = ("link", "new")
STATES = ("open", "resolved")


class CaseDecided(HeadcountError):
    """The case was decided already (by someone else, a moment ago): decided once only."""

    exit_code = 4


class NotACandidate(HeadcountError):
    """A `link` decision names a target that is not among the case's candidates."""

    exit_code = 4


@dataclass(frozen=True)
class Case:
    id: int
    resource_type: str
    source_key: str
    candidates: tuple[str, ...]
    confidence: int
    state: str
    run_id: int
    created_at: datetime
    decision: str | None
    decided_target: str | None
    decided_by: str | None
    decided_at: datetime | None
    comment: str | None
    # Each candidate with its score and the properties that matched, in `candidates` order.
    scored: tuple[Candidate, ...] = ()

    @classmethod
    def from_row(cls, row: sa.Row[Any]) -> Case:
        m = row._mapping
        scored = _candidates(json.loads(m["candidates"]), m["confidence"])
        return cls(id=int(m["id"]), resource_type=m["resource_type"], source_key=m["source_key"],
                   candidates=tuple(c.key for c in scored), scored=scored,
                   confidence=m["confidence"],
                   state=m["state"], run_id=m["run_id"], created_at=_aware(m["created_at"]),
                   decision=m["decision"], decided_target=m["decided_target"],
                   decided_by=m["decided_by"], decided_at=_aware(m["decided_at"]),
                   comment=m["comment"])


def _candidates(stored: list[Any], confidence: int) -> tuple[Candidate, ...]:
    """Candidates as stored: objects with their score and matched properties, or — cases
    opened before they were kept — bare keys, scored with the case's confidence."""
    return tuple(Candidate(c, confidence, ()) if isinstance(c, str)
                 else Candidate(c["key"], int(c["score"]), tuple(c["matched"]))
                 for c in stored)


@overload
def _aware(value: datetime) -> datetime: ...
@overload
def _aware(value: None) -> None: ...
def _aware(value: datetime | None) -> datetime | None:
    # SQLite gives back naive datetimes: they were written in UTC.
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def count_open(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(correlation_cases)
                            .where(correlation_cases.c.state == "open")).scalar_one())


def list_cases(conn: sa.Connection, state: str | None = "open", limit: int = 50,
               offset: int = 0) -> tuple[int, list[Case]]:
    """How many cases are in `state` (None: any), and one page of them, oldest first: the
    first opened waits longest."""
    where = [correlation_cases.c.state == state] if state else []
    total = int(conn.execute(sa.select(sa.func.count()).select_from(correlation_cases)
                             .where(*where)).scalar_one())
    rows = conn.execute(sa.select(correlation_cases).where(*where)
                        .order_by(correlation_cases.c.id).limit(limit).offset(offset)).all()
    return total, [Case.from_row(r) for r in rows]


def get_case(conn: sa.Connection, case_id: int) -> Case:
    row = conn.execute(sa.select(correlation_cases)
                       .where(correlation_cases.c.id == case_id)).first()
    if row is None:
        raise NotFound(f"no correlation case {case_id}")
    return Case.from_row(row)


def record_decision(conn: sa.Connection, case_id: int, decision: str, target: str | None,
                    comment: str | None, actor: str) -> Case:
    """Resolve an open case, in the caller's write transaction, and audit it. `link`: the
    source owns `target` from now on (replacing any target it owned), so the next evaluation
    updates that target instead of creating one; `new`: the low-confidence rules are skipped
    for this source and it gets a target of its own."""
    case = get_case(conn, case_id)
    if decision not in DECISIONS:
        raise NotACandidate(f"a decision is `link` or `new`, not `{decision}`")
    if decision == "link":
        if target is None or target not in case.candidates:
            shown = ", ".join(case.candidates)
            raise NotACandidate(f"`{target}` is not a candidate of correlation case {case_id} "
                                f"(candidates: {shown})")
    elif target is not None:
        raise NotACandidate("only a `link` decision names a target")
    # Decided once: the state changes only if it is still open, whoever comes second loses.
    stamp = now()
    done = conn.execute(sa.update(correlation_cases).where(
        correlation_cases.c.id == case_id, correlation_cases.c.state == "open").values(
        state="resolved", decision=decision, decided_target=target, decided_by=actor,
        decided_at=stamp, comment=comment or None))
    if done.rowcount != 1:
        again = get_case(conn, case_id)
        raise CaseDecided(f"correlation case {case_id} was decided already ({again.decision}"
                          f"{' ' + again.decided_target if again.decided_target else ''}, by "
                          f"{again.decided_by})")
    if target is not None:
        owner = conn.execute(sa.select(ownership.c.source_key).where(
            ownership.c.resource_type == case.resource_type,
            ownership.c.target_key == target,
            ownership.c.source_key != case.source_key)).scalar()
        if owner is not None:
            raise CaseDecided(f"{target} belongs to source {owner} since the case was opened: "
                              "it cannot be linked to a second source")
        conn.execute(sa.delete(ownership).where(ownership.c.resource_type == case.resource_type,
                                                ownership.c.source_key == case.source_key))
        conn.execute(sa.insert(ownership).values(resource_type=case.resource_type,
                                                 source_key=case.source_key, target_key=target))
    what = f"link {case.source_key} → {target}" if target else f"new target for " \
        f"{case.source_key}"
    audit(conn, actor, "correlation case decided",
          f"case {case_id} ({case.resource_type}): {what}", comment or None)
    return get_case(conn, case_id)
