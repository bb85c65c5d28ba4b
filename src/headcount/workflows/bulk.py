"""Bulk decisions (SPEC §7.3): several tasks carrying the same change — the same workflow and
activity, the same change set but for its subject (forty movers to one organization) — decided
at once with one comment. Each task is decided through the engine in a transaction of its own,
with its own permission check: a refusal names its task and undoes none of the others."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from headcount.config.model import Project
from headcount.errors import HeadcountError, NotFound, RunRefused
from headcount.repository.schema import workflow_instances, workflow_tasks
from headcount.repository.users import User
from headcount.workflows.changes import WorkflowChanges
from headcount.workflows.engine import Decided, NotAllowed, decide_task
from headcount.workflows.tasks import inbox

MAX_TASKS = 1000


class NotAlike(RunRefused):
    """Tasks that do not carry the same change: nothing was decided."""


@dataclass(frozen=True)
class Outcome:
    task_id: int
    decided: Decided | None
    # Why this one was refused (the others went on), and its kind: not_allowed, refused,
    # not_found.
    error: str | None = None
    kind: str | None = None


def signature(project: Project, workflow: str, activity: str, subject: str | None,
              change_set: str) -> str:
    """What makes two tasks alike: the workflow, the activity, and the change set's after
    values with the subject's key — and its key values — left out."""
    wf = project.workflow(workflow)
    found = project.entity_type(wf.entity_type) if wf else None
    keys = {k.lower() for k in (found[1].keys if found else [])}
    parts = []
    for change in WorkflowChanges.from_text(change_set).resources:
        mine = change.key == subject
        parts.append({
            "entity_type": change.entity_type, "kind": change.kind,
            "key": None if mine else change.key,
            "values": {p: a for p, (_, a) in sorted(change.values.items())
                       if not (mine and p.lower() in keys)},
            "links": {n: sorted(a) for n, (_, a) in sorted(change.links.items())}})
    return json.dumps([workflow.lower(), activity.lower(), parts], sort_keys=True,
                      ensure_ascii=False)


def _signatures(conn: sa.Connection, project: Project, ids: Sequence[int]) -> dict[int, str]:
    t, i = workflow_tasks.c, workflow_instances.c
    rows = conn.execute(sa.select(t.id, i.workflow, t.activity, i.subject_key, i.change_set)
                        .select_from(workflow_tasks.join(workflow_instances,
                                                         t.instance_id == i.id))
                        .where(t.id.in_(list(ids)))).all()
    return {int(r[0]): signature(project, r[1], r[2], r[3], r[4]) for r in rows}


def check_alike(conn: sa.Connection, project: Project, ids: Sequence[int]) -> None:
    """Refuse a selection whose tasks do not all carry the first one's change."""
    if not ids:
        raise NotAlike("no task selected")
    if len(ids) > MAX_TASKS:
        raise NotAlike(f"{len(ids)} tasks: at most {MAX_TASKS} at once")
    found = _signatures(conn, project, ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"no task {', '.join(map(str, missing))}")
    other = [i for i in ids if found[i] != found[ids[0]]]
    if other:
        raise NotAlike(f"task{'s' if len(other) > 1 else ''} {', '.join(map(str, other))} "
                       f"{'do' if len(other) > 1 else 'does'} not carry the change of task "
                       f"{ids[0]} (same workflow, activity and change set but for the "
                       "subject): decide them apart")


def matching(conn: sa.Connection, project: Project, user: User, task_id: int) -> list[int]:
    """The open tasks `user` may act on that carry the change of `task_id`, itself first."""
    first = _signatures(conn, project, [task_id]).get(task_id)
    if first is None:
        raise NotFound(f"no task {task_id}")
    workflow = conn.execute(sa.select(workflow_instances.c.workflow).select_from(
        workflow_tasks.join(workflow_instances,
                            workflow_tasks.c.instance_id == workflow_instances.c.id))
        .where(workflow_tasks.c.id == task_id)).scalar_one()
    ids = [t.id for t in inbox(conn, project, user, workflow=workflow, limit=MAX_TASKS)[1]]
    same = _signatures(conn, project, ids)
    return [task_id] + [i for i in ids if i != task_id and same.get(i) == first]


def decide_all(engine: sa.Engine, project: Project, ids: Sequence[int], user: User,
               transition: str, comment: str | None = None,
               now: datetime | None = None) -> list[Outcome]:
    """Decide each task of a selection that carries one change, in order; refusals are
    returned beside the decisions, not raised."""
    unique = list(dict.fromkeys(ids))
    with engine.connect() as conn:
        check_alike(conn, project, unique)
    out = []
    for task_id in unique:
        try:
            out.append(Outcome(task_id, decide_task(engine, project, task_id, user,
                                                    transition, comment, now=now)))
        except NotAllowed as exc:
            out.append(Outcome(task_id, None, str(exc), "not_allowed"))
        except NotFound as exc:
            out.append(Outcome(task_id, None, str(exc), "not_found"))
        except HeadcountError as exc:
            out.append(Outcome(task_id, None, str(exc), "refused"))
    return out
