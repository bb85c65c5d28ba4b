"""My Tasks (SPEC §7.3): the open workflow tasks the caller may act on, one task with its
instance's change set and decisions, the decision itself, and a workflow instance's story. The
pages use the same functions."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from headcount.config.model import EntityType, Project
from headcount.errors import HeadcountError
from headcount.repository.schema import resources, workflow_tasks
from headcount.repository.users import User
from headcount.web.api.errors import GUARDED, responses
from headcount.web.api.models import Id
from headcount.web.api.timestamps import Instant
from headcount.web.auth import app_state, require
from headcount.web.state import AppState
from headcount.workflows import tasks
from headcount.workflows.changes import ResourceChange
from headcount.workflows.delivery import deliver
from headcount.workflows.engine import Decided, can_act, decide_task

router = APIRouter(tags=["tasks"], responses=responses(*GUARDED))
log = logging.getLogger(__name__)
Reader = Annotated[User, Depends(require("read"))]
NoNul = r"^[^\x00]*$"


class TaskOut(BaseModel):
    id: int
    instance_id: int
    workflow: str
    workflow_display_name: str
    activity: str
    template: str
    state: str
    open: bool
    opened_at: Instant
    deadline: Instant | None
    delegated_to: str | None
    approvals: int
    quorum: int
    entity_type: str
    subject_key: str | None
    subject_display_name: str = Field(description="The subject's name, empty when it has none.")
    message: str | None
    started_by: str
    transitions: list[str] = Field(description="The transition ids it offers now "
                                               "(`Review-ReviewPending-Approve`…).")
    overdue: bool = Field(False, description="Open past its deadline.")
    escalation: int = Field(0, description="The escalation level it reached (0: none).")
    fallback: bool = Field(False, description="Sent to the fallback roles: nobody else could "
                                              "act on it.")


class TaskPage(BaseModel):
    total: int
    items: list[TaskOut]


class ValueChangeOut(BaseModel):
    property: str
    display_name: str
    before: Any
    after: Any


class LinkChangeOut(BaseModel):
    navigation: str
    display_name: str
    before: list[str]
    after: list[str]
    before_names: list[str] = Field(description="The targets' display names (the key when "
                                                "it has none), in `before` order.")
    after_names: list[str]


class ResourceChangeOut(BaseModel):
    entity_type: str
    entity_type_display_name: str
    key: str
    display_name: str
    kind: str = Field(description="insert | update | delete")
    values: list[ValueChangeOut]
    links: list[LinkChangeOut]


class DecisionOut(BaseModel):
    actor: str
    at: Instant
    transition: str
    comment: str | None
    delegated_to: str | None


class InstanceOut(BaseModel):
    id: int
    workflow: str
    workflow_display_name: str
    entity_type: str
    subject_key: str | None
    subject_display_name: str
    message: str | None
    state: str = Field(description="running | completed | aborted")
    started_by: str
    started_at: Instant
    finished_at: Instant | None
    run_id: int | None = Field(description="The run that persisted its change set.")
    origin: dict[str, Any]
    changes: list[ResourceChangeOut]
    tasks: list[TaskOut]
    decisions: list[DecisionOut]


class TaskDetailOut(BaseModel):
    task: TaskOut
    may_act: bool = Field(description="Whether the caller may take its transitions.")
    instance: InstanceOut


class DecisionIn(BaseModel):
    transition: str = Field(min_length=1, max_length=200, pattern=NoNul,
                            description="`Approve`, or its whole id "
                                        "`Review-ReviewPending-Approve`.")
    comment: str | None = Field(None, max_length=2000, pattern=NoNul,
                                description="Needed to decline, abort or refine.")
    delegate_to: str | None = Field(None, max_length=200, pattern=NoNul,
                                    description="Delegate only: the user's name.")


class DecidedOut(BaseModel):
    task_id: int
    state: str = Field(description="The task's state after the decision.")
    instance_id: int
    instance_state: str
    run_id: int | None = Field(description="The run that persisted the change set, when the "
                                           "decision ended the workflow.")


class Names:
    """Display names of resources, looked up once per page: people read names, not keys."""

    def __init__(self, conn: sa.Connection, project: Project,
                 wanted: set[tuple[str, str]]) -> None:
        self.project = project
        self.names: dict[tuple[str, str], str] = {}
        by_type: dict[str, set[str]] = {}
        for entity_type, key in wanted:
            by_type.setdefault(entity_type, set()).add(key)
        for entity_type, keys in by_type.items():
            et = self.entity_type(entity_type)
            if et is None or not et.resource_display_name:
                continue
            for key, data in conn.execute(sa.select(resources.c.key, resources.c.data).where(
                    resources.c.entity_type == et.identifier, resources.c.key.in_(keys))):
                self.names[(entity_type, key)] = et.display(json.loads(data))

    def entity_type(self, identifier: str) -> EntityType | None:
        found = self.project.entity_type(identifier)
        return found[1] if found else None

    def of(self, entity_type: str, key: str | None) -> str:
        return "" if key is None else self.names.get((entity_type, key), "")


def _workflow_name(project: Project, identifier: str) -> str:
    wf = project.workflow(identifier)
    return (wf.display_name if wf and wf.display_name else "") or identifier


def task_out(project: Project, names: Names, task: tasks.Task) -> TaskOut:
    return TaskOut(
        id=task.id, instance_id=task.instance_id, workflow=task.workflow,
        workflow_display_name=_workflow_name(project, task.workflow), activity=task.activity,
        template=task.template, state=task.state, open=task.open, opened_at=task.opened_at,
        deadline=task.deadline, delegated_to=task.delegated_to, approvals=task.approvals,
        quorum=task.quorum, entity_type=task.entity_type, subject_key=task.subject_key,
        subject_display_name=names.of(task.entity_type, task.subject_key),
        message=task.message, started_by=task.started_by, transitions=task.transitions,
        overdue=task.overdue, escalation=task.escalation, fallback=task.fallback)


def _change_out(names: Names, change: ResourceChange) -> ResourceChangeOut:
    et = names.entity_type(change.entity_type)

    def label(name: str) -> str:
        prop = et.find_property(name) if et else None
        return (prop.display_name if prop and prop.display_name else "") or name

    def target(nav: str) -> str:
        prop = et.find_property(nav) if et else None
        return prop.target if prop and prop.target else ""

    return ResourceChangeOut(
        entity_type=change.entity_type,
        entity_type_display_name=(et.display_name if et and et.display_name else "")
        or change.entity_type,
        key=change.key, display_name=names.of(change.entity_type, change.key),
        kind=change.kind,
        values=[ValueChangeOut(property=p, display_name=label(p), before=b, after=a)
                for p, (b, a) in change.values.items()],
        links=[LinkChangeOut(navigation=n, display_name=label(n), before=b, after=a,
                             before_names=[names.of(target(n), k) or k for k in b],
                             after_names=[names.of(target(n), k) or k for k in a])
               for n, (b, a) in change.links.items()])


def _wanted(project: Project, instance: tasks.Instance) -> set[tuple[str, str]]:
    wanted = {(instance.entity_type, instance.subject_key)} if instance.subject_key else set()
    for change in instance.changes.resources:
        wanted.add((change.entity_type, change.key))
        found = project.entity_type(change.entity_type)
        for nav, (before, after) in change.links.items():
            prop = found[1].find_property(nav) if found else None
            if prop is not None and prop.target:
                wanted |= {(prop.target, k) for k in [*before, *after]}
    return wanted


def instance_out(conn: sa.Connection, project: Project, instance: tasks.Instance
                 ) -> InstanceOut:
    names = Names(conn, project, _wanted(project, instance))
    return InstanceOut(
        id=instance.id, workflow=instance.workflow,
        workflow_display_name=_workflow_name(project, instance.workflow),
        entity_type=instance.entity_type, subject_key=instance.subject_key,
        subject_display_name=names.of(instance.entity_type, instance.subject_key),
        message=instance.message, state=instance.state, started_by=instance.started_by,
        started_at=instance.started_at, finished_at=instance.finished_at,
        run_id=instance.run_id, origin=instance.origin,
        changes=[_change_out(names, c) for c in instance.changes.resources],
        tasks=[task_out(project, names, t) for t in instance.tasks],
        decisions=[DecisionOut(actor=d.actor, at=d.at, transition=d.transition,
                               comment=d.comment, delegated_to=d.delegated_to)
                   for d in instance.decisions])


def task_page(state: AppState, user: User, workflow: str | None, subject: str | None,
              limit: int, offset: int) -> tuple[int, list[TaskOut]]:
    project = state.project()
    with state.engine.connect() as conn:
        total, page = tasks.inbox(conn, project, user, workflow or None, subject or None,
                                  limit, offset)
        names = Names(conn, project, {(t.entity_type, t.subject_key) for t in page
                                      if t.subject_key})
    return total, [task_out(project, names, t) for t in page]


def task_detail(state: AppState, user: User, task_id: int) -> TaskDetailOut:
    project = state.project()
    with state.engine.connect() as conn:
        task = tasks.get_task(conn, project, task_id)
        instance = instance_out(conn, project, tasks.get_instance(conn, project,
                                                                  task.instance_id))
        wf = project.workflow(task.workflow)
        activity = next((a for a in wf.activities if a.name == task.activity),
                        None) if wf else None
        row = conn.execute(sa.select(workflow_tasks).where(
            workflow_tasks.c.id == task_id)).mappings().one()
        acting = bool(task.open and wf and activity and can_act(
            conn, project, wf, activity, row, task.subject_key, user, datetime.now(UTC)))
    mine = next(t for t in instance.tasks if t.id == task_id)
    return TaskDetailOut(task=mine, may_act=acting, instance=instance)


def take_decision(state: AppState, user: User, task_id: int, transition: str,
                  comment: str | None, delegate_to: str | None) -> Decided:
    """The engine's decision; a token decides only with the `decide` scope, whatever the
    activity's roles allow the person."""
    if user.scopes is not None and "decide" not in user.scopes:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "deciding a task with a token needs the `decide` scope")
    project = state.project()
    decided = decide_task(state.engine, project, task_id, user, transition,
                          (comment or "").strip() or None, (delegate_to or "").strip() or None)
    send_notices(state, project)
    return decided


def send_notices(state: AppState, project: Project) -> None:
    """Deliver the notices a decision wrote, once it committed. A relay that fails keeps them
    for the next delivery; the decision stands whatever happens here."""
    try:
        done = deliver(state.engine, project, datetime.now(UTC), folder=state.project_dir)
    except HeadcountError as exc:
        log.warning("notices not sent: %s", exc)
        return
    if done.failed:
        log.warning("%d notice(s) kept for the next delivery: %s", done.failed,
                    "; ".join(done.errors))


@router.get("/tasks", response_model=TaskPage, responses=responses(422))
def list_tasks(request: Request, user: Reader,
               workflow: Annotated[str | None, Query(max_length=200)] = None,
               subject: Annotated[str | None, Query(max_length=1000)] = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 50,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> TaskPage:
    """The caller's inbox: the open tasks they may act on (by their role, or delegated to
    them), the longest waiting first, paged, with the total; filtered by workflow and by the
    subject's key."""
    total, items = task_page(app_state(request), user, workflow, subject, limit, offset)
    return TaskPage(total=total, items=items)


@router.get("/tasks/{task_id}", response_model=TaskDetailOut, responses=responses(404, 422))
def get_task(request: Request, user: Reader, task_id: Id) -> TaskDetailOut:
    """A task, whether the caller may act on it, and its workflow instance: the change set
    (before and after, property by property, with display names) and the decisions so far."""
    return task_detail(app_state(request), user, task_id)


@router.post("/tasks/{task_id}/decision", response_model=DecidedOut,
             responses=responses(404, 409, 422))
def post_decision(request: Request, user: Reader, task_id: Id, body: DecisionIn
                  ) -> DecidedOut:
    """Take one of the task's transitions (audited). 403 when the caller may not act on it
    (or a token lacks the `decide` scope); 409 when the task is closed, the transition is not
    one it offers, a comment it needs is missing, or the repository moved away from the change
    set; 404 for an unknown task or a delegate who is no user."""
    decided = take_decision(app_state(request), user, task_id, body.transition, body.comment,
                            body.delegate_to)
    return DecidedOut(task_id=decided.task_id, state=decided.state,
                      instance_id=decided.instance_id, instance_state=decided.instance_state,
                      run_id=decided.run_id)


@router.get("/workflows/{instance_id}", response_model=InstanceOut,
            responses=responses(404, 422))
def get_instance(request: Request, user: Reader, instance_id: Id) -> InstanceOut:
    """A workflow instance: its state, change set, tasks and decisions, and the run that
    persisted it."""
    state = app_state(request)
    project = state.project()
    with state.engine.connect() as conn:
        return instance_out(conn, project, tasks.get_instance(conn, project, instance_id))

