"""Deadlines kept (issue 9): at an instant given by its caller — cron through `headcount tasks
escalate`, or the scheduler — remind who may act on a task as its deadline nears, escalate it
level by level once it is overdue (each level's roles may act from then on), and send a task
nobody can act on to its fallback roles. What was done is recorded on each task (reminders
sent, level reached, fallback), so that running it twice at one instant does what once does."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from headcount.config.model import Project
from headcount.config.workflow import Activity
from headcount.repository.database import begin_write
from headcount.repository.schema import workflow_tasks
from headcount.workflows.calendar import Calendars, EscalationLevel, Schedule, schedule
from headcount.workflows.notices import Notice, audit, notice, to_fallback, write
from headcount.workflows.recipients import Eligible, OpenTask, open_tasks


@dataclass(frozen=True)
class Escalated:
    """What one pass did, by task id."""

    reminded: list[int]
    escalated: list[tuple[int, int]]  # (task, level reached), a level at a time
    fallback: list[int]
    overdue: list[int]  # every open task past its deadline, whether escalated now or before


def plan(project: Project, activity: Activity, opened_at: datetime) -> Schedule | None:
    """A task's reminders, deadline and escalations, as its deadline was computed."""
    if activity.deadline_days is None:
        return None
    calendar = Calendars(project.calendars).for_site({})
    return schedule(opened_at, activity.deadline_days, calendar, "UTC",
                    reminders_before=activity.reminder_days,
                    levels=[EscalationLevel(e.after_days, ",".join(e.roles))
                            for e in activity.escalations])


def escalate(conn: sa.Connection, project: Project, now: datetime) -> Escalated:
    """Remind, escalate and send to the fallback what is due at `now` and was not yet."""
    at = now.astimezone(UTC)
    tasks = open_tasks(conn, [workflow_tasks.c.open.is_(True)])
    who = Eligible(conn, project, tasks, at.date())
    reminded: list[int] = []
    escalated: list[tuple[int, int]] = []
    overdue: list[int] = []
    found: list[Notice] = []
    audits: list[tuple[OpenTask, str, str]] = []
    reminders: list[dict[str, Any]] = []
    levels: list[dict[str, Any]] = []
    after: list[OpenTask] = []
    for task in tasks:
        activity = who.activity(task)
        timeline = plan(project, activity, task.opened_at) if activity else None
        if activity is None or timeline is None:
            after.append(task)
            continue
        late = timeline.is_overdue(at)
        if late:
            overdue.append(task.id)
        due = sum(1 for e in timeline.due(None, at) if e.kind == "reminder")
        if due > task.reminders:
            reminders.append({"task": task.id, "value": due})
            if not late:  # a reminder past the deadline says less than the escalation
                reminded.append(task.id)
                found.append(notice(project, "task_reminder", task,
                                    who.reached(who.acting(task)), at))
        reached = timeline.escalation(at)
        level = reached.level if reached else 0
        if level > task.escalation:
            new = range(task.escalation + 1, level + 1)
            escalated += [(task.id, n) for n in new]
            levels.append({"task": task.id, "value": level})
            audits += [(task, "task escalated",
                        f"level {n}: {', '.join(activity.escalations[n - 1].roles)}")
                       for n in new]
            roles = {r for n in new for r in activity.escalations[n - 1].roles}
            found.append(notice(project, "task_escalated", task,
                                who.reached(who.of_roles(roles)), at, level=level))
            task = replace(task, escalation=level)
        after.append(task)
    _set(conn, "reminders", reminders)
    _set(conn, "escalation", levels)
    audit(conn, audits)
    write(conn, project, found)
    fallback = to_fallback(conn, project, [t for t in after if not who.acting(t)], who, at)
    return Escalated(reminded, escalated, fallback, overdue)


def escalate_now(engine: sa.Engine, project: Project, now: datetime) -> Escalated:
    """`escalate` in a transaction of its own."""
    with begin_write(engine) as conn:
        return escalate(conn, project, now)


def _set(conn: sa.Connection, column: str, values: list[dict[str, Any]]) -> None:
    if values:
        conn.execute(sa.update(workflow_tasks)
                     .where(workflow_tasks.c.id == sa.bindparam("task"))
                     .values({column: sa.bindparam("value")}), values)
