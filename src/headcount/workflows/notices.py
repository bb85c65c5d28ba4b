"""Notices of tasks (issue 9): a task opened (assigned), reminded, escalated or decided is told to
the people concerned by rows of the outbox, written in the transaction that opens, escalates or
decides it — a decision that rolls back tells nobody — and sent after its commit by `deliver`
(workflows/delivery.py). Each function takes a batch of task ids: one run may open thousands of
tasks, and their notices are one `executemany`, not a query per task."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from headcount.config.model import Project
from headcount.config.notifications import EventKind
from headcount.config.workflow import OUTCOMES
from headcount.repository.runs import now as wall_clock
from headcount.repository.schema import audit_log, outbox, workflow_decisions, workflow_tasks
from headcount.repository.users import Contact
from headcount.workflows.recipients import Eligible, OpenTask, chunks, tasks_by_id

EMAIL, EVENT = "email", "event"


@dataclass(frozen=True)
class Notice:
    """One event about one task, for its recipients."""

    kind: EventKind
    task: OpenTask
    recipients: list[Contact]
    subject: str
    body: str
    at: datetime
    payload: dict[str, Any] = field(default_factory=dict)


def tasks_opened(conn: sa.Connection, project: Project, ids: Sequence[int], at: datetime
                 ) -> None:
    """Tell who may act on each new task that it waits for them; a task nobody can act on
    goes to its activity's fallback roles at once."""
    if not ids or not (_notifying(project) or any(
            a.fallback_roles for wf in project.workflows for a in wf.activities)):
        return  # a run opening thousands of tasks pays nothing for what nobody configured
    tasks = tasks_by_id(conn, ids)
    who = Eligible(conn, project, tasks, at.date())
    found, nobody = [], []
    for task in tasks:
        acting = who.acting(task)
        if not acting:
            nobody.append(task)
        found.append(notice(project, "task_assigned", task, who.reached(acting), at))
    write(conn, project, found)
    to_fallback(conn, project, nobody, who, at)


def tasks_decided(conn: sa.Connection, project: Project, ids: Sequence[int], at: datetime
                  ) -> None:
    """Tell of each task's latest decision: a delegation to the delegate (a task assigned to
    them), any other to who started the workflow and who decided in it before."""
    if not ids or not _notifying(project):
        return
    d = workflow_decisions.c
    latest: dict[int, Any] = {}
    deciders: dict[int, set[str]] = {}
    tasks = tasks_by_id(conn, ids)
    instances = sorted({t.instance_id for t in tasks})
    for part in chunks(instances):
        for row in conn.execute(sa.select(d.instance_id, d.task_id, d.actor, d.transition,
                                          d.comment, d.delegated_to)
                                .where(d.instance_id.in_(part)).order_by(d.id)):
            latest[row.task_id] = row
            deciders.setdefault(row.instance_id, set()).add(row.actor)
    who = Eligible(conn, project, tasks, at.date())
    found = []
    for task in tasks:
        decision = latest.get(task.id)
        if decision is None:
            continue
        name = str(decision.transition).rpartition("-")[2]
        if name == "Delegate":
            found.append(notice(project, "task_assigned", task,
                                 who.reached([decision.delegated_to]), at,
                                 delegated_by=decision.actor))
            continue
        told = ({task.started_by} | deciders.get(task.instance_id, set())) - {decision.actor}
        found.append(notice(project, "task_decided", task, who.reached(told), at,
                             outcome=OUTCOMES.get(name, name), actor=decision.actor,
                             comment=decision.comment))
    write(conn, project, found)


def to_fallback(conn: sa.Connection, project: Project, tasks: Iterable[OpenTask],
                who: Eligible, at: datetime) -> list[int]:
    """Send tasks nobody can act on to their activity's fallback roles (those without any stay
    as they are): flagged, audited, told. The ids sent."""
    sent: list[OpenTask] = []
    found = []
    for task in tasks:
        activity = who.activity(task)
        if activity is None or not activity.fallback_roles or task.fallback:
            continue
        sent.append(task)
        found.append(notice(project, "task_escalated", task,
                             who.reached(who.of_roles(activity.fallback_roles)), at,
                             fallback=True))
    ids = [t.id for t in sent]
    for part in chunks(ids):
        conn.execute(sa.update(workflow_tasks).where(workflow_tasks.c.id.in_(part))
                     .values(fallback=True))
    audit(conn, [(t, "task sent to fallback", "nobody could act on it") for t in sent])
    write(conn, project, found)
    return ids


def audit(conn: sa.Connection, entries: Sequence[tuple[OpenTask, str, str]]) -> None:
    """Audit events of tasks that nobody decided (the scheduler did), in one statement."""
    if entries:
        at = wall_clock()
        conn.execute(sa.insert(audit_log), [
            {"at": at, "actor": "headcount", "action": action,
             "target": f"{t.workflow} #{t.instance_id} task {t.id}", "reason": reason}
            for t, action, reason in entries])


def write(conn: sa.Connection, project: Project, notices: Sequence[Notice]) -> None:
    """The outbox rows of `notices`: an e-mail row per recipient with an address (when the
    project sends e-mail), an event row per notice (when a webhook listens to its kind)."""
    settings = project.notifications
    listened = {kind for hook in settings.webhooks for kind in hook.events}
    rows: list[dict[str, Any]] = []
    for n in notices:
        common = {"kind": n.kind, "task_id": n.task.id, "created_at": n.at,
                  "subject": n.subject, "body": n.body, "link": f"/tasks/{n.task.id}",
                  "attempts": 0, "delivered_to": "[]"}
        if settings.smtp is not None:
            rows += [{**common, "channel": EMAIL, "recipient": r.name, "email": r.email,
                      "payload": json.dumps(n.payload)} for r in n.recipients if r.email]
        if n.kind in listened:
            payload = {**n.payload, "recipients": [r.name for r in n.recipients]}
            rows.append({**common, "channel": EVENT, "recipient": None, "email": None,
                         "payload": json.dumps(payload)})
    if rows:
        conn.execute(sa.insert(outbox), rows)


def _notifying(project: Project) -> bool:
    return project.notifications.smtp is not None or bool(project.notifications.webhooks)


def notice(project: Project, kind: EventKind, task: OpenTask, recipients: list[Contact],
           at: datetime, **facts: Any) -> Notice:
    wf = project.workflow(task.workflow)
    name = (wf.display_name if wf and wf.display_name else "") or task.workflow
    about = f"{name} — {task.activity}, {task.entity_type} {task.subject_key or '(new)'}"
    due = f"{task.deadline:%Y-%m-%d %H:%M} UTC" if task.deadline else None
    lines = [task.message] if task.message else []
    if kind == "task_assigned":
        subject = f"Task {task.id} waits for you: {about}"
        if facts.get("delegated_by"):
            lines.append(f"{facts['delegated_by']} delegated it to you.")
    elif kind == "task_reminder":
        subject = f"Reminder: task {task.id} is due {due}: {about}"
    elif kind == "task_escalated" and facts.get("fallback"):
        subject = f"Task {task.id} went to you: nobody else can act on it: {about}"
    elif kind == "task_escalated":
        subject = f"Task {task.id} is overdue (escalation level {facts['level']}): {about}"
    else:
        subject = f"Task {task.id} {str(facts['outcome']).lower()} by {facts['actor']}: {about}"
        if facts.get("comment"):
            lines.append(f"Comment: {facts['comment']}")
    if due and kind != "task_decided":
        lines.append(f"Deadline: {due}.")
    payload = {"task": task.id, "workflow": task.workflow, "instance": task.instance_id,
               "activity": task.activity, "entity_type": task.entity_type,
               "subject_key": task.subject_key,
               "deadline": task.deadline.isoformat() if task.deadline else None,
               **{k: v for k, v in facts.items() if v is not None}}
    return Notice(kind, task, recipients, subject, "\n".join(lines) or subject, at, payload)
