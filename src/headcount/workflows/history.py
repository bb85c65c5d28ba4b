"""The workflows of a run and of a subject, listed (SPEC §7.3, §12): what a run started, or — a
dry run, a blocked run's preview — would start; what an identity went through. One line each,
with the task waiting on it, if any."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from headcount.repository.schema import workflow_instances, workflow_tasks


@dataclass(frozen=True)
class Started:
    id: int
    workflow: str
    entity_type: str
    subject_key: str | None
    message: str | None
    # running | completed | aborted, or planned: listed by a dry run or a preview, never acted on
    state: str
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    run_id: int | None  # the run that persisted it
    started_by_run: int | None
    changes: int  # resources its change set touches
    open_task: int | None  # the task waiting on it
    notes: dict[str, Any] | None  # what HR said since it started


def _select() -> sa.Select[Any]:
    i, t = workflow_instances.c, workflow_tasks.c
    waiting = sa.select(sa.func.min(t.id)).where(t.instance_id == i.id, t.open.is_(True)) \
        .scalar_subquery()
    return sa.select(i.id, i.workflow, i.entity_type, i.subject_key, i.message, i.state,
                     i.started_by, i.started_at, i.finished_at, i.run_id, i.started_by_run,
                     i.change_set, waiting.label("open_task"), i.notes)


def _started(row: Any) -> Started:
    return Started(int(row.id), row.workflow, row.entity_type, row.subject_key, row.message,
                   row.state, row.started_by, row.started_at, row.finished_at, row.run_id,
                   row.started_by_run, len(json.loads(row.change_set)),
                   int(row.open_task) if row.open_task is not None else None,
                   json.loads(row.notes) if row.notes else None)


def of_run(conn: sa.Connection, run_id: int, limit: int = 100, offset: int = 0
           ) -> tuple[int, list[Started]]:
    """The workflows a run started (or planned), in the order it started them."""
    i = workflow_instances.c
    where = i.started_by_run == run_id
    total = int(conn.execute(sa.select(sa.func.count()).select_from(workflow_instances)
                             .where(where)).scalar_one())
    rows = conn.execute(_select().where(where).order_by(i.id).limit(limit).offset(offset))
    return total, [_started(r) for r in rows]


def of_subject(conn: sa.Connection, entity_type: str, key: str, limit: int = 50
               ) -> list[Started]:
    """The workflows about one resource, newest first — not the ones a dry run listed."""
    i = workflow_instances.c
    rows = conn.execute(_select().where(i.entity_type == entity_type, i.subject_key == key,
                                        i.state != "planned")
                        .order_by(i.id.desc()).limit(limit))
    return [_started(r) for r in rows]


def notes_of(conn: sa.Connection, instance_id: int) -> dict[str, Any] | None:
    text = conn.execute(sa.select(workflow_instances.c.notes).where(
        workflow_instances.c.id == instance_id)).scalar()
    return json.loads(text) if text else None
