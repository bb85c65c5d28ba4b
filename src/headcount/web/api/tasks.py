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
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from headcount.config.model import EntityType, Project
from headcount.errors import HeadcountError
from headcount.repository.schema import changes, resources, workflow_tasks
from headcount.repository.users import User
from headcount.web.api.errors import GUARDED, FieldError, error_body, responses
from headcount.web.api.models import Id
from headcount.web.api.timestamps import Instant
from headcount.web.auth import app_state, require
from headcount.web.state import AppState
from headcount.workflows import bulk, forms, tasks
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


class HomonymOut(BaseModel):
    entity_type: str
    key: str
    display_name: str
    reasons: list[str] = Field(description="`same names`, `inverted names`, `same birth date`.")


class SourceOut(BaseModel):
    """The HR line a workflow came from (its origin names the run and the source resource)."""

    run_id: int
    resource_type: str | None
    entity_type: str
    key: str
    display_name: str
    connection: str | None = Field(description="The file (connection) the line was read "
                                               "from in that run, when it changed the source.")
    line: int | None


class TaskDetailOut(BaseModel):
    task: TaskOut
    may_act: bool = Field(description="Whether the caller may take its transitions.")
    instance: InstanceOut
    source: SourceOut | None = Field(description="The HR source line it came from, when its "
                                                 "origin names one.")
    homonyms: list[HomonymOut] = Field(description="For a creation: the existing resources it "
                                                   "may duplicate.")


class DecisionIn(BaseModel):
    transition: str = Field(min_length=1, max_length=200, pattern=NoNul,
                            description="`Approve`, or its whole id "
                                        "`Review-ReviewPending-Approve`.")
    comment: str | None = Field(None, max_length=2000, pattern=NoNul,
                                description="Needed to decline, abort or refine.")
    delegate_to: str | None = Field(None, max_length=200, pattern=NoNul,
                                    description="Delegate only: the user's name.")


TaskId = Annotated[int, Field(ge=1, le=2_147_483_647)]


class BulkDecisionIn(BaseModel):
    ids: list[TaskId] = Field(default_factory=list, max_length=1000,
                           description="The tasks, carrying one change (same workflow, "
                                       "activity and change set but for the subject).")
    all_matching: int | None = Field(None, ge=1, le=2_147_483_647,
                                     description="Instead of `ids`: this task and "
                                     "every open task of the caller carrying its change.")
    transition: str = Field(min_length=1, max_length=200, pattern=NoNul,
                            description="`Approve`, `Decline`…, or a whole transition id.")
    comment: str | None = Field(None, max_length=2000, pattern=NoNul,
                                description="One comment for every task.")


class RefusedOut(BaseModel):
    task_id: int
    kind: str = Field(description="not_allowed | refused | not_found")
    detail: str


class BulkDecidedOut(BaseModel):
    decided: list[DecidedOut] = Field(description="The tasks decided, each in a transaction "
                                                  "of its own.")
    refused: list[RefusedOut] = Field(description="The tasks refused, with why; the others "
                                                  "stay decided.")


class StartIn(BaseModel):
    workflow: str = Field(min_length=1, max_length=200, pattern=NoNul)
    key: str | None = Field(None, max_length=1000, pattern=NoNul,
                            description="The subject's key; none, or one that does not exist, "
                                        "creates the subject.")
    values: dict[str, str | list[str] | None] = Field(
        default_factory=dict, max_length=500,
        description="Property → value as typed (dates YYYY-MM-DD; a navigation its targets' "
                    "keys). An update keeps only the values that change.")
    message: str | None = Field(None, max_length=2000, pattern=NoNul)
    create_anyway: bool = Field(False, description="Create even when homonyms exist (409 "
                                                   "lists them otherwise).")


class StartedOut(BaseModel):
    instance_id: int
    subject_key: str
    kind: str = Field(description="insert (a creation) | update")
    task_ids: list[int] = Field(description="Its open task, when its first activity waits "
                                            "for people.")


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


def wanted_names(project: Project, instance: tasks.Instance) -> set[tuple[str, str]]:
    """The (entity type, key) pairs an instance's page names: its subject, the resources it
    changes and the targets of their navigations."""
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
    names = Names(conn, project, wanted_names(project, instance))
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
              limit: int, offset: int, older_than: float | None = None
              ) -> tuple[int, list[TaskOut]]:
    project = state.project()
    with state.engine.connect() as conn:
        total, page = tasks.inbox(conn, project, user, workflow or None, subject or None,
                                  limit, offset, older_than)
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
    return TaskDetailOut(task=mine, may_act=acting, instance=instance,
                         source=source_of(state, instance.origin),
                         homonyms=homonyms_of(state, instance) if task.open else [])


def source_of(state: AppState, origin: dict[str, Any]) -> SourceOut | None:
    """The HR line an order's workflow came from: the source resource its origin names, and
    the file and line that changed it in that run."""
    run_id, entity_type, key = (origin.get("run_id"), origin.get("source_type"),
                                origin.get("source_key"))
    if not isinstance(run_id, int) or not entity_type or not key:
        return None
    c = changes.c
    with state.engine.connect() as conn:
        read = conn.execute(sa.select(c.connection, c.line).where(
            c.run_id == run_id, c.entity_type == str(entity_type),
            c.resource_key == str(key), c.navigation.is_(None)).order_by(c.id).limit(1)).first()
        names = Names(conn, state.project(), {(str(entity_type), str(key))})
    return SourceOut(run_id=run_id, resource_type=origin.get("resource_type"),
                     entity_type=str(entity_type), key=str(key),
                     display_name=names.of(str(entity_type), str(key)),
                     connection=read[0] if read else None, line=read[1] if read else None)


def homonyms_of(state: AppState, instance: InstanceOut) -> list[HomonymOut]:
    """For a creation workflow: who its subject may duplicate, shown to the reviewer."""
    project = state.project()
    wf = project.workflow(instance.workflow)
    created = next((c for c in instance.changes if c.kind == "insert"
                    and c.entity_type.lower() == instance.entity_type.lower()), None)
    if wf is None or created is None:
        return []
    values = {v.property: v.after for v in created.values}
    return [HomonymOut(entity_type=h.entity_type, key=h.key, display_name=h.display_name,
                       reasons=h.reasons)
            for h in forms.check(state.engine, project, wf, values, exclude=created.key)]


def take_decision(state: AppState, user: User, task_id: int, transition: str,
                  comment: str | None, delegate_to: str | None) -> Decided:
    """The engine's decision; a token decides only with the `decide` scope, whatever the
    activity's roles allow the person."""
    _scoped(user, "decide", "deciding a task")
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


def _scoped(user: User, scope: str, what: str) -> None:
    if user.scopes is not None and scope not in user.scopes:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"{what} with a token needs the `{scope}` scope")


def take_decisions(state: AppState, user: User, ids: list[int], all_matching: int | None,
                   transition: str, comment: str | None) -> BulkDecidedOut:
    """Decide tasks carrying one change with one comment (workflows.bulk): each through the
    engine with its own permission check; a refusal undoes none of the others."""
    _scoped(user, "decide", "deciding tasks")
    project = state.project()
    if all_matching is not None:
        with state.engine.connect() as conn:
            ids = bulk.matching(conn, project, user, all_matching)
    outcomes = bulk.decide_all(state.engine, project, ids, user, transition,
                               (comment or "").strip() or None)
    send_notices(state, project)
    return BulkDecidedOut(
        decided=[_decided_out(o.decided) for o in outcomes if o.decided is not None],
        refused=[RefusedOut(task_id=o.task_id, kind=o.kind or "refused", detail=o.error or "")
                 for o in outcomes if o.decided is None])


def _decided_out(decided: Decided) -> DecidedOut:
    return DecidedOut(task_id=decided.task_id, state=decided.state,
                      instance_id=decided.instance_id, instance_state=decided.instance_state,
                      run_id=decided.run_id)


def start_workflow(state: AppState, user: User, body: StartIn) -> StartedOut:
    """A workflow started by hand (workflows.forms.start_by_hand, as the CLI and the form)."""
    _scoped(user, "edit", "starting a workflow")
    started = forms.start_by_hand(state.engine, state.project(), body.workflow,
                                  (body.key or "").strip() or None, body.values, user,
                                  (body.message or "").strip() or None, body.create_anyway)
    send_notices(state, state.project())
    with state.engine.connect() as conn:
        task_ids = [t.id for t in tasks.get_instance(conn, state.project(),
                                                     started.instance_id).tasks if t.open]
    return StartedOut(instance_id=started.instance_id, subject_key=started.subject_key,
                      kind=started.kind, task_ids=task_ids)


@router.get("/tasks", response_model=TaskPage, responses=responses(422))
def list_tasks(request: Request, user: Reader,
               workflow: Annotated[str | None, Query(max_length=200)] = None,
               subject: Annotated[str | None, Query(
                   max_length=1000, description="The subject's key, or a part of its values "
                                                "(its name), case ignored.")] = None,
               older_than: Annotated[float | None, Query(
                   ge=0, le=36500, description="Only tasks waiting for more than this many "
                                               "days.")] = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 50,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> TaskPage:
    """The caller's inbox: the open tasks they may act on (by their role, or delegated to
    them), the longest waiting first, paged, with the total; filtered by workflow, by the
    subject (key or name) and by age."""
    total, items = task_page(app_state(request), user, workflow, subject, limit, offset,
                             older_than)
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
    return _decided_out(decided)


@router.post("/tasks/decisions", response_model=BulkDecidedOut,
             responses=responses(404, 409, 422))
def post_decisions(request: Request, user: Reader, body: BulkDecisionIn) -> BulkDecidedOut:
    """Decide several tasks at once, with one comment: tasks carrying one change (the same
    workflow, activity and change set but for the subject), given by `ids` or as every open
    task of the caller matching `all_matching`. Each is decided in a transaction of its own
    with its own permission check: `refused` names those refused (why, and its kind), the
    others stay decided. 409 when the tasks do not carry one change (nothing decided); 404
    for an unknown task."""
    return take_decisions(app_state(request), user, body.ids, body.all_matching,
                          body.transition, body.comment)


@router.post("/workflows", response_model=StartedOut, status_code=201,
             responses=responses(404, 409, 422))
def post_workflow(request: Request, user: Reader, body: StartIn) -> Response:
    """Start a workflow by hand: an update of an existing subject (only the values that
    change enter its change set, with their before values), or a creation. 422 names each
    refused value (`errors`, at `body.values.PROPERTY`); 409 lists the homonyms of a creation
    (`errors`, at `homonyms.KEY`) until it is sent again with `create_anyway`; 403 for who
    may not start it (or a token without the `edit` scope)."""
    try:
        started = start_workflow(app_state(request), user, body)
    except forms.FormErrors as exc:
        return JSONResponse(error_body(f"refused values: {exc}", [
            FieldError(loc=["body", "values", *([p] if p else [])], msg=m, type="value_error")
            for p, m in exc.errors.items()]), status_code=422)
    except forms.HomonymsFound as exc:
        return JSONResponse(error_body(str(exc), [
            FieldError(loc=["homonyms", h.key], msg=f"{h.display_name or h.key}: "
                       f"{', '.join(h.reasons)}", type="homonym") for h in exc.homonyms]),
            status_code=409)
    return JSONResponse(started.model_dump(mode="json"), status_code=201)


@router.get("/workflows/{instance_id}", response_model=InstanceOut,
            responses=responses(404, 422))
def get_instance(request: Request, user: Reader, instance_id: Id) -> InstanceOut:
    """A workflow instance: its state, change set, tasks and decisions, and the run that
    persisted it."""
    state = app_state(request)
    project = state.project()
    with state.engine.connect() as conn:
        return instance_out(conn, project, tasks.get_instance(conn, project, instance_id))

