"""My Tasks (SPEC §7.3): the open tasks a person may act on — by their role, or delegated to
them — newest first, with what each is about; and the story of one workflow instance."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from headcount.config.model import Project
from headcount.config.workflow import TRANSITIONS, Template
from headcount.errors import NotFound
from headcount.repository.schema import (
    links,
    resources,
    workflow_decisions,
    workflow_instances,
    workflow_tasks,
)
from headcount.repository.users import User, away_for, identity_of
from headcount.workflows.changes import WorkflowChanges
from headcount.workflows.engine import by_role, relation_links
from headcount.workflows.recipients import utc


@dataclass(frozen=True)
class Task:
    id: int
    instance_id: int
    workflow: str
    activity: str
    template: str
    state: str
    open: bool
    opened_at: datetime
    deadline: datetime | None
    delegated_to: str | None
    approvals: int
    quorum: int
    entity_type: str
    subject_key: str | None
    message: str | None
    started_by: str
    # The transition ids a person may take now (`Review-ReviewPending-Approve`…).
    transitions: list[str]
    # The escalation level reached (0: none); whether it went to the fallback roles; whether
    # it is open past its deadline.
    escalation: int = 0
    fallback: bool = False
    overdue: bool = False


@dataclass(frozen=True)
class Decision:
    actor: str
    at: datetime
    transition: str
    comment: str | None
    delegated_to: str | None


@dataclass(frozen=True)
class Instance:
    id: int
    workflow: str
    entity_type: str
    subject_key: str | None
    message: str | None
    state: str
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    run_id: int | None
    changes: WorkflowChanges
    origin: dict[str, Any]
    tasks: list[Task]
    decisions: list[Decision]


def _columns() -> list[sa.ColumnElement[Any]]:
    t, i = workflow_tasks.c, workflow_instances.c
    return [t.id, t.instance_id, i.workflow, t.activity, t.template, t.state, t.open,
            t.opened_at, t.deadline, t.delegated_to, t.approvals, i.entity_type,
            i.subject_key, i.message, i.started_by, t.position, t.escalation, t.fallback]


def _task(project: Project, row: Any, now: datetime | None = None) -> Task:
    wf = project.workflow(row.workflow)
    activity = wf.activities[row.position] if wf and row.position < len(wf.activities) else None
    quorum = activity.quorum if activity else 1
    template = Template(row.template)
    transitions = [activity.transition_id(name, row.state)
                   for name in TRANSITIONS.get(template, {})] if activity and row.open else []
    return Task(row.id, row.instance_id, row.workflow, row.activity, row.template, row.state,
                bool(row.open), row.opened_at, row.deadline, row.delegated_to, row.approvals,
                quorum, row.entity_type, row.subject_key, row.message, row.started_by,
                transitions, row.escalation, bool(row.fallback),
                bool(row.open and row.deadline is not None
                     and utc(row.deadline) < (now or datetime.now(UTC))))


def _acting(project: Project, user: User, identity: str | None,
            away: list[tuple[User, str | None]]) -> sa.ColumnElement[bool]:
    """The open tasks `user` may act on, as a condition: the (workflow, activity) pairs their
    role allows, a delegation to them, a subject whose relation they are (its manager), an
    escalation or fallback that reached their role — and the same for each colleague `away`
    who named them their delegate."""
    if user.role == "administrator":
        return sa.true()
    allowed = [c for person, theirs in [(user, identity), *away]
               for c in _rights(project, person, theirs)]
    return sa.or_(*allowed)


def _rights(project: Project, user: User, identity: str | None
            ) -> list[sa.ColumnElement[bool]]:
    t, i = workflow_tasks.c, workflow_instances.c
    allowed: list[sa.ColumnElement[bool]] = [t.delegated_to == user.name]
    for wf in project.workflows:
        for activity in wf.activities:
            here = sa.and_(i.workflow == wf.identifier, t.activity == activity.name)
            if by_role(activity, None, user):
                allowed.append(here)
                continue
            levels = [n for n, e in enumerate(activity.escalations, 1) if user.role in e.roles]
            if levels and user.can("read"):
                allowed.append(sa.and_(here, t.escalation >= levels[0]))
            if user.role in activity.fallback_roles and user.can("read"):
                allowed.append(sa.and_(here, t.fallback.is_(True)))
            navigations = relation_links(project, wf, activity)
            if identity is None or not navigations:
                continue
            theirs = sa.select(links.c.id).select_from(
                links.join(resources, resources.c.id == links.c.source_id)).where(
                resources.c.entity_type == i.entity_type,
                resources.c.key == i.subject_key, links.c.navigation.in_(navigations),
                links.c.target_key == identity)
            allowed.append(sa.and_(here, sa.exists(theirs)))
    return allowed


def inbox(conn: sa.Connection, project: Project, user: User, workflow: str | None = None,
          subject: str | None = None, limit: int = 50, offset: int = 0,
          older_than: float | None = None, now: datetime | None = None
          ) -> tuple[int, list[Task]]:
    """The open tasks `user` may act on at `now` (default: the clock's — whose absences
    count, which are overdue), oldest first (the longest waiting), and their count;
    `subject` is the subject's key or a part of its values (its name), `older_than` a number
    of days the task has been waiting at least."""
    t, i = workflow_tasks.c, workflow_instances.c
    at = (now or datetime.now(UTC)).astimezone(UTC)
    away = [(p, identity_of(conn, p.name)) for p in away_for(conn, user.name, at.date())]
    # `open = true`, not `open IS true`: PostgreSQL uses an index for the former only.
    where = [t.open == sa.true(), _acting(project, user, identity_of(conn, user.name), away)]
    if workflow:
        where.append(i.workflow == workflow)
    if subject:
        where.append(_about(conn, subject))
    if older_than is not None:
        where.append(t.opened_at < (now or datetime.now(UTC)) - timedelta(days=older_than))
    joined = workflow_tasks.join(workflow_instances, t.instance_id == i.id)
    total = int(conn.execute(sa.select(sa.func.count()).select_from(joined)
                             .where(*where)).scalar_one())
    rows = conn.execute(sa.select(*_columns()).select_from(joined).where(*where)
                        .order_by(t.opened_at, t.id).limit(limit).offset(offset)).all()
    return total, [_task(project, r, at) for r in rows]


def _about(conn: sa.Connection, subject: str) -> sa.ColumnElement[bool]:
    """A task whose subject has this key, or holds this text among its values (its name) or
    in its message, case ignored: one probe of the subject by its unique (entity type, key)
    per task."""
    i, r = workflow_instances.c, resources.c
    escaped = subject.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    named = r.data.like(pattern, escape="\\") if conn.dialect.name == "sqlite" \
        else r.data.ilike(pattern, escape="\\")
    # A creation's subject is not in the repository yet: its message names it ("New hire: …").
    told = i.message.like(pattern, escape="\\") if conn.dialect.name == "sqlite" \
        else i.message.ilike(pattern, escape="\\")
    return sa.or_(i.subject_key == subject, told, sa.exists(sa.select(r.id).where(
        r.entity_type == i.entity_type, r.key == i.subject_key, named)))


def open_count(conn: sa.Connection, project: Project, user: User) -> int:
    return inbox(conn, project, user, limit=0)[0]


def get_task(conn: sa.Connection, project: Project, task_id: int) -> Task:
    t, i = workflow_tasks.c, workflow_instances.c
    row = conn.execute(sa.select(*_columns()).select_from(
        workflow_tasks.join(workflow_instances, t.instance_id == i.id))
        .where(t.id == task_id)).first()
    if row is None:
        raise NotFound(f"no task {task_id}")
    return _task(project, row)


def get_instance(conn: sa.Connection, project: Project, instance_id: int) -> Instance:
    row = conn.execute(sa.select(workflow_instances).where(
        workflow_instances.c.id == instance_id)).mappings().first()
    if row is None:
        raise NotFound(f"no workflow instance {instance_id}")
    t, i = workflow_tasks.c, workflow_instances.c
    tasks = [_task(project, r) for r in conn.execute(
        sa.select(*_columns()).select_from(workflow_tasks.join(workflow_instances,
                                                               t.instance_id == i.id))
        .where(t.instance_id == instance_id).order_by(t.id))]
    d = workflow_decisions.c
    decisions = [Decision(a, at, tr, c, to) for a, at, tr, c, to in conn.execute(
        sa.select(d.actor, d.at, d.transition, d.comment, d.delegated_to)
        .where(d.instance_id == instance_id).order_by(d.id))]
    return Instance(row["id"], row["workflow"], row["entity_type"], row["subject_key"],
                    row["message"], row["state"], row["started_by"], row["started_at"],
                    row["finished_at"], row["run_id"],
                    WorkflowChanges.from_text(row["change_set"]),
                    dict(json.loads(row["origin"] or "{}")), tasks, decisions)


def of_subject(conn: sa.Connection, entity_type: str, key: str) -> list[int]:
    """The workflow instances about one resource, newest first (its identity page)."""
    i = workflow_instances.c
    # A dry run's planned workflows are the run's list, not the identity's.
    return [int(x) for x in conn.execute(sa.select(i.id).where(
        i.entity_type == entity_type, i.subject_key == key, i.state != "planned")
        .order_by(i.id.desc())).scalars()]
