"""Decisions on the Resource Reconciliation page (SPEC §6.4), one by one or in bulk, each audited
with who, when and the comment:
- Approve: take the computed (proposed) value — written as a run of mode `reconciliation` — and
  forget the state: HR owns the value again;
- Decline: keep the manual value — `protected`: HR leaves it alone, a later HR change marks it
  `questioned`;
- Postpone: decide later — `postponed`: HR still leaves it alone meanwhile."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import sqlalchemy as sa

from headcount.config.model import Project
from headcount.errors import HeadcountError, NotFound
from headcount.repository import property_states, runs
from headcount.repository.database import begin_write
from headcount.repository.property_states import PropertyState
from headcount.reviews.writes import connector_lock, current_values, write_run

Decision = Literal["approve", "decline", "postpone"]
DECISIONS: tuple[Decision, ...] = ("approve", "decline", "postpone")
MODE = "reconciliation"
MAX_COMMENT = 2000


class DecisionRefused(HeadcountError):
    """A decision that cannot be taken as asked."""

    exit_code = 4  # refused, as the command line says of a request it cannot take


@dataclass
class DecisionResult:
    decided: list[int] = field(default_factory=list)
    # The runs that wrote approved values, one per connector.
    run_ids: list[int] = field(default_factory=list)


def decide(engine: sa.Engine, project: Project, ids: Iterable[int], decision: str,
           comment: str | None, actor: str, now: datetime | None = None) -> DecisionResult:
    """Take one decision on these property states, all or none (a state someone else decided
    meanwhile is gone: the request is refused, nothing done)."""
    if decision not in DECISIONS:
        raise DecisionRefused(f"unknown decision `{decision}`: one of {', '.join(DECISIONS)}")
    wanted = sorted(set(ids))
    if not wanted:
        raise DecisionRefused("choose at least one value to decide on")
    text = (comment or "").strip() or None
    if text is not None and (len(text) > MAX_COMMENT or "\x00" in text):
        raise DecisionRefused(f"a comment holds at most {MAX_COMMENT} characters (no NUL)")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    with engine.connect() as conn:
        found = property_states.by_ids(conn, wanted)
    connectors = sorted({_connector(project, s.entity_type) for s in found})
    result = DecisionResult()
    with ExitStack() as held:
        # Always in the same (sorted) order: two people deciding at once never deadlock.
        for name in connectors:
            held.enter_context(connector_lock(engine, name))
        with begin_write(engine) as conn:
            _decide(conn, project, connectors, wanted, decision, text, actor, now, result)
    return result


def _decide(conn: sa.Connection, project: Project, connectors: list[str], wanted: list[int],
            decision: str, comment: str | None, actor: str, now: datetime,
            result: DecisionResult) -> None:
    for name in connectors:
        runs.ensure_connector(conn, name)
        runs.lock_connector(conn, name)
    states = property_states.by_ids(conn, wanted)
    missing = sorted(set(wanted) - {s.id for s in states})
    if missing:
        raise NotFound("no value to reconcile with id " + ", ".join(map(str, missing))
                       + " (decided meanwhile?)")
    if decision == "approve":
        result.run_ids = _approve(conn, project, states, comment, actor)
    else:
        kept: property_states.State = "protected" if decision == "decline" else "postponed"
        for state in states:
            # A decided value no longer expires: the person chose for good, or for later.
            property_states.update(conn, state.id, state=kept, expires_at=None,
                                   decided_by=actor, decided_at=now)
    for state in states:
        runs.audit(conn, actor, f"reconciliation {decision}",
                   f"{state.entity_type} {state.resource_key} {state.property}", comment)
    result.decided = [s.id for s in states]


def _connector(project: Project, entity_type: str) -> str:
    found = project.entity_type(entity_type)
    if found is None:
        raise DecisionRefused(f"entity type `{entity_type}` is no longer deployed")
    return found[0].identifier


def _approve(conn: sa.Connection, project: Project, states: list[PropertyState],
             comment: str | None, actor: str) -> list[int]:
    """Write each proposed value where it differs from the current one; forget the states."""
    by_type: dict[str, dict[str, dict[str, tuple[Any, Any]]]] = {}
    for state in states:
        current = current_values(conn, state.entity_type, state.resource_key)
        if current is None or current.get(state.property) == state.proposed_value:
            continue  # the resource is gone, or already holds HR's value
        by_type.setdefault(state.entity_type, {}).setdefault(state.resource_key, {})[
            state.property] = (current.get(state.property), state.proposed_value)
    run_ids = []
    for entity_type, updates in sorted(by_type.items()):
        found = project.entity_type(entity_type)
        assert found is not None  # checked by _connector
        run_ids.append(write_run(conn, found[0], found[1], updates, MODE,
                                 comment or "approved on the Resource Reconciliation page",
                                 actor, MODE))
    property_states.delete(conn, [s.id for s in states])
    return run_ids
