"""Who may act on a batch of open tasks, set-wise (a run may open 10,000): the enabled users of
an activity's roles — or of the roles that decide, when it names none —, the person a task was
delegated to, the people its relations name, the roles its escalation reached; and, for anyone
away that day, their delegate instead. An administrator's right to act on every task makes
nobody a recipient: they are told only where a role names them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa

from headcount.config.model import Project
from headcount.config.workflow import Activity
from headcount.repository.schema import links, resources, workflow_instances, workflow_tasks
from headcount.repository.users import Contact, contacts, delegates
from headcount.roles import PERMISSIONS

_CHUNK = 900  # ids per IN (…): below every database's limit on bound parameters
# The roles that decide when an activity names none — an administrator aside (see above).
DECIDING = tuple(r for r, allowed in PERMISSIONS.items()
                 if "decide" in allowed and r != "administrator")


@dataclass(frozen=True)
class OpenTask:
    """What a notice says of a task."""

    id: int
    instance_id: int
    workflow: str
    activity: str
    entity_type: str
    subject_key: str | None
    message: str | None
    started_by: str
    opened_at: datetime
    deadline: datetime | None
    delegated_to: str | None
    escalation: int
    fallback: bool
    reminders: int


T = TypeVar("T")


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def open_tasks(conn: sa.Connection, where: Iterable[sa.ColumnElement[bool]]
               ) -> list[OpenTask]:
    t, i = workflow_tasks.c, workflow_instances.c
    rows = conn.execute(sa.select(
        t.id, t.instance_id, i.workflow, t.activity, i.entity_type, i.subject_key, i.message,
        i.started_by, t.opened_at, t.deadline, t.delegated_to, t.escalation, t.fallback,
        t.reminders).select_from(workflow_tasks.join(workflow_instances,
                                                     t.instance_id == i.id))
        .where(*where).order_by(t.id)).all()
    return [OpenTask(row.id, row.instance_id, row.workflow, row.activity, row.entity_type,
                     row.subject_key, row.message, row.started_by, utc(row.opened_at),
                     utc(row.deadline), row.delegated_to, row.escalation, bool(row.fallback),
                     row.reminders) for row in rows]


def utc(value: Any) -> Any:
    """The instant as stored (UTC): SQLite gives it back without its offset."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def tasks_by_id(conn: sa.Connection, ids: Sequence[int]) -> list[OpenTask]:
    return [task for part in chunks(list(ids))
            for task in open_tasks(conn, [workflow_tasks.c.id.in_(part)])]


class Eligible:
    """The people who may act on tasks, read once for a batch: users, absences, relations."""

    def __init__(self, conn: sa.Connection, project: Project, tasks: Sequence[OpenTask],
                 day: date) -> None:
        self.project = project
        self.users = contacts(conn)
        self.away = delegates(conn, day)
        self.by_role: dict[str, list[str]] = {}
        for user in self.users.values():
            self.by_role.setdefault(user.role, []).append(user.name)
        by_identity: dict[str, list[str]] = {}
        for user in self.users.values():
            if user.identity:
                by_identity.setdefault(user.identity, []).append(user.name)
        self.related = _related(conn, project, tasks, by_identity)

    def activity(self, task: OpenTask) -> Activity | None:
        wf = self.project.workflow(task.workflow)
        return wf.activity(task.activity) if wf else None

    def acting(self, task: OpenTask) -> set[str]:
        """The enabled users who may act on `task` themselves (absences aside)."""
        activity = self.activity(task)
        if activity is None:
            return set()
        roles = set(activity.roles or DECIDING)
        roles |= {r for e in activity.escalations[:task.escalation] for r in e.roles}
        if task.fallback:
            roles |= set(activity.fallback_roles)
        names = {n for role in roles for n in self.by_role.get(role, [])}
        if task.delegated_to in self.users:
            names.add(task.delegated_to)
        return names | self.related.get(task.id, set())

    def of_roles(self, roles: Iterable[str]) -> set[str]:
        return {n for role in roles for n in self.by_role.get(role, [])}

    def reached(self, names: Iterable[str]) -> list[Contact]:
        """Who is told for `names`: each, or their delegate while they are away."""
        out: dict[str, Contact] = {}
        for name in names:
            delegate = self.away.get(name)
            found = self.users.get(delegate) if delegate else None
            found = found or self.users.get(name)
            if found is not None:
                out[found.name] = found
        return [out[n] for n in sorted(out)]


def _related(conn: sa.Connection, project: Project, tasks: Sequence[OpenTask],
             by_identity: dict[str, list[str]]) -> dict[int, set[str]]:
    """Task id → the users its activity's relations name (the subject's manager…)."""
    wanted: dict[tuple[str, str], list[tuple[int, list[str]]]] = {}
    for task in tasks:
        wf = project.workflow(task.workflow)
        activity = wf.activity(task.activity) if wf else None
        if wf is None or activity is None or not activity.relations or not task.subject_key:
            continue
        found = project.entity_type(wf.entity_type)
        if found is None:
            continue
        navigations = [f"{found[1].identifier}.{p.identifier}" for name in activity.relations
                       if (p := found[1].find_property(name)) is not None and p.is_navigation]
        wanted.setdefault((wf.entity_type, task.subject_key), []).append((task.id, navigations))
    out: dict[int, set[str]] = {}
    if not wanted or not by_identity:
        return out
    by_type: dict[str, list[str]] = {}
    for entity_type, key in wanted:
        by_type.setdefault(entity_type, []).append(key)
    for entity_type, keys in by_type.items():
        for part in chunks(keys):
            rows: Any = conn.execute(sa.select(resources.c.key, links.c.navigation,
                                               links.c.target_key).select_from(
                links.join(resources, resources.c.id == links.c.source_id)).where(
                resources.c.entity_type == entity_type, resources.c.key.in_(part)))
            for key, navigation, target in rows:
                for task_id, navigations in wanted[(entity_type, key)]:
                    if navigation in navigations and target in by_identity:
                        out.setdefault(task_id, set()).update(by_identity[target])
    return out
