"""The workflow engine (SPEC §7.3): an instance walks its workflow's activities one at a time.
Each activity waiting for people is a task; a decision takes one of its template's transitions
(`Review-ReviewPending-Approve`), recorded with who, when and why. The last activity persists
the change set through the write path of every run, so that the history names the workflow."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from headcount.config.model import Project
from headcount.config.workflow import (
    AUTOMATIC,
    OUTCOMES,
    PENDING,
    REFINE_PENDING,
    TRANSITIONS,
    Activity,
    Template,
    Workflow,
)
from headcount.errors import HeadcountError, NotFound, RunRefused
from headcount.fulfillment.direct import settle
from headcount.fulfillment.workflows import order_from_json
from headcount.policy.job import order_counts, resource_types_fed_by, run_policy
from headcount.repository import deployments, runs
from headcount.repository.apply import apply_changes, record_changes
from headcount.repository.database import begin_write
from headcount.repository.locks import connector_lock
from headcount.repository.naming import Naming
from headcount.repository.schema import (
    connector_state,
    links,
    resources,
    workflow_decisions,
    workflow_instances,
    workflow_tasks,
)
from headcount.repository.users import User, away_for, find_user, identity_of
from headcount.workflows import notices
from headcount.workflows.calendar import Calendars, add_business_days
from headcount.workflows.changes import InvalidChanges, WorkflowChanges, change_set, conflicts

RUNNING, COMPLETED, ABORTED = "running", "completed", "aborted"
MODE = "workflow"


class TaskRefused(RunRefused):
    """A decision the task cannot take now: closed, a transition its template lacks, a change
    set the repository moved away from."""


class NotAllowed(HeadcountError):
    """The person may not act on this task."""

    exit_code = 5


@dataclass(frozen=True)
class Decided:
    """What a decision did: the task's new state, and the instance's."""

    task_id: int
    state: str
    instance_id: int
    instance_state: str
    run_id: int | None


def start(conn: sa.Connection, project: Project, workflow: str, changes: WorkflowChanges,
          actor: str, message: str | None = None, origin: dict[str, Any] | None = None,
          subject_key: str | None = None, now: datetime | None = None) -> int:
    """A new instance of `workflow` carrying `changes`, at its first activity."""
    wf = _workflow(project, workflow)
    changes.check(project)
    _within(project, wf, changes)
    at = _now(now)
    subject = subject_key or next((c.key for c in changes.resources
                                   if c.entity_type.lower() == wf.entity_type.lower()), None)
    inserted = conn.execute(sa.insert(workflow_instances).values(
        workflow=wf.identifier, entity_type=wf.entity_type, subject_key=subject,
        message=message, state=RUNNING, position=0, change_set=changes.to_text(),
        origin=json.dumps(origin or {}, ensure_ascii=False), started_by=actor,
        started_at=at)).inserted_primary_key
    assert inserted is not None
    instance_id = int(inserted[0])
    runs.audit(conn, actor, "workflow started", f"{wf.identifier} #{instance_id}", message)
    _enter(conn, project, wf, instance_id, 0, at, actor)
    return instance_id


def decide(conn: sa.Connection, project: Project, task_id: int, user: User, transition: str,
           comment: str | None = None, delegate_to: str | None = None,
           now: datetime | None = None) -> Decided:
    """Take `transition` (`Approve`, or its whole id `Review-ReviewPending-Approve`) on an open
    task, as `user`. The caller holds the subject connector's lock when the decision may
    persist (the last activity before Persist)."""
    at = _now(now)
    task = conn.execute(sa.select(workflow_tasks).where(workflow_tasks.c.id == task_id)
                        ).mappings().first()
    if task is None:
        raise NotFound(f"no task {task_id}")
    instance = conn.execute(sa.select(workflow_instances).where(
        workflow_instances.c.id == task["instance_id"])).mappings().one()
    wf = _workflow(project, instance["workflow"])
    activity = wf.activity(task["activity"])
    if activity is None or activity.template.value != task["template"]:
        # A reload changed the workflow under the task: never take another activity's rules.
        raise TaskRefused(f"task {task_id}: activity {task['activity']} ({task['template']}) is "
                          f"no longer in {wf.identifier} as it is deployed now: decline it "
                          "through an administrator, or deploy the workflow back")
    position = wf.activities.index(activity)
    if not task["open"]:
        raise TaskRefused(f"task {task_id} is {task['state']}: it was decided already")
    name = _transition(activity, task["state"], transition)
    if not can_act(conn, project, wf, activity, task, instance["subject_key"], user, at):
        raise NotAllowed(f"{user.name} may not act on task {task_id} ({wf.identifier}, "
                         f"{activity.name}): roles {', '.join(activity.roles) or 'none'}")
    effect = TRANSITIONS[activity.template][name]
    earlier = {str(t).rpartition("-")[2] for t in conn.execute(
        sa.select(workflow_decisions.c.transition).where(
            workflow_decisions.c.task_id == task_id,
            workflow_decisions.c.actor == user.name)).scalars()}
    if effect == "stay":
        # One person, one voice: who approved may not hand the task on too, and a delegate acts
        # for the one who delegated, without delegating again.
        if earlier & {"Approve", "Execute"} or task["delegated_to"] == user.name:
            raise TaskRefused(f"{user.name} may not delegate task {task_id}: they "
                              + ("approved it already" if earlier else "act for another"))
        delegate_to = _delegate(conn, delegate_to, user)
    elif name in ("Decline", "Abort", "Refine") and not (comment or "").strip():
        raise TaskRefused(f"{name} needs a comment: it is kept and shown to the requester")
    if effect == "next" and earlier & {"Approve", "Execute"}:
        raise TaskRefused(f"{user.name} approved task {task_id} already: a quorum counts people")
    if effect == "next" and "Delegate" in earlier:
        raise TaskRefused(f"{user.name} delegated task {task_id}: the delegate decides")
    conn.execute(sa.insert(workflow_decisions).values(
        instance_id=instance["id"], task_id=task_id, actor=user.name, at=at,
        transition=activity.transition_id(name, task["state"]), comment=comment,
        delegated_to=delegate_to if effect == "stay" else None))
    runs.audit(conn, user.name, f"task {name.lower()}",
               f"{wf.identifier} #{instance['id']} task {task_id}", comment)
    notices.tasks_decided(conn, project, [task_id], at)
    state, instance_state, run_id = task["state"], RUNNING, None
    if effect == "stay":
        conn.execute(sa.update(workflow_tasks).where(workflow_tasks.c.id == task_id)
                     .values(delegated_to=delegate_to))
    elif effect == "next" and task["approvals"] + 1 < activity.quorum:
        conn.execute(sa.update(workflow_tasks).where(workflow_tasks.c.id == task_id)
                     .values(approvals=task["approvals"] + 1))
    else:
        state = OUTCOMES[name]
        _close(conn, task_id, state, at, task["approvals"] + (effect == "next"))
        if effect == "abort":
            instance_state = _finish(conn, instance["id"], ABORTED, at)
        elif effect == "refine":
            back = _refinable(wf, position)
            _enter(conn, project, wf, instance["id"], back, at, user.name, refine=True)
        else:
            run_id = _enter(conn, project, wf, instance["id"], position + 1, at, user.name)
            if run_id is not None:
                instance_state = COMPLETED
    return Decided(task_id, state, instance["id"], instance_state, run_id)


def decide_task(engine: sa.Engine, project: Project, task_id: int, user: User,
                transition: str, comment: str | None = None, delegate_to: str | None = None,
                now: datetime | None = None) -> Decided:
    """`decide` in a transaction of its own, holding the lock of the connector its workflow's
    change set is written to: a decision may persist it."""
    with engine.connect() as conn:
        workflow = conn.execute(sa.select(workflow_instances.c.workflow).select_from(
            workflow_tasks.join(workflow_instances,
                                workflow_tasks.c.instance_id == workflow_instances.c.id))
            .where(workflow_tasks.c.id == task_id)).scalar()
    if workflow is None:
        raise NotFound(f"no task {task_id}")
    found = project.entity_type(_workflow(project, workflow).entity_type)
    assert found is not None
    with connector_lock(engine, found[0].identifier), begin_write(engine) as conn:
        return decide(conn, project, task_id, user, transition, comment, delegate_to, now)


def may_act(project: Project, wf: Workflow, activity: Activity, delegated_to: str | None,
            user: User) -> bool:
    """Administrators, the person a task was delegated to, and the activity's roles — or, for
    an activity that names none, those whose role decides (SPEC §13)."""
    return user.role == "administrator" or by_role(activity, delegated_to, user)


def by_role(activity: Activity, delegated_to: str | None, user: User) -> bool:
    """`may_act` without an administrator's right to act on every task: what a colleague away
    hands to their delegate."""
    if delegated_to is not None and delegated_to == user.name:
        return True
    if activity.roles:
        return user.role in activity.roles and user.can("read")
    return user.can("decide")


def escalated_to(activity: Activity, level: int, fallback: bool, user: User) -> bool:
    """Whether the task's escalation (its `level` reached, its going to the fallback) lets
    `user`'s role act on it."""
    roles = {r for e in activity.escalations[:level] for r in e.roles}
    if fallback:
        roles |= set(activity.fallback_roles)
    return user.role in roles and user.can("read")


def can_act(conn: sa.Connection, project: Project, wf: Workflow, activity: Activity,
            task: Any, subject_key: str | None, user: User, at: datetime) -> bool:
    """Whether `user` may act on an open task (a row of workflow_tasks): as themselves — by
    role, delegation, relation, escalation — or for a colleague away on that day who named
    them their delegate."""
    def allowed(person: User) -> bool:
        return (by_role(activity, task["delegated_to"], person)
                or escalated_to(activity, task["escalation"], task["fallback"], person)
                or related(conn, project, wf, activity, subject_key, person))

    if may_act(project, wf, activity, task["delegated_to"], user) or allowed(user):
        return True
    return any(allowed(away) for away in away_for(conn, user.name, at.date()))


def relation_links(project: Project, wf: Workflow, activity: Activity) -> list[str]:
    """The navigations (`Directory_UserRecord.Manager`) whose target may act on the activity."""
    found = project.entity_type(wf.entity_type)
    if found is None:
        return []
    out = []
    for name in activity.relations:
        prop = found[1].find_property(name)
        if prop is not None and prop.is_navigation:
            out.append(f"{found[1].identifier}.{prop.identifier}")
    return out


def related(conn: sa.Connection, project: Project, wf: Workflow, activity: Activity,
            subject_key: str | None, user: User) -> bool:
    """Whether `user` is, through one of the activity's relations, the subject's (its
    manager): their identity (`user add --identity`) is the target of that navigation."""
    navigations = relation_links(project, wf, activity)
    identity = identity_of(conn, user.name) if navigations and subject_key else None
    if identity is None:
        return False
    return conn.execute(sa.select(links.c.id).select_from(
        links.join(resources, resources.c.id == links.c.source_id)).where(
        resources.c.entity_type == wf.entity_type, resources.c.key == subject_key,
        links.c.navigation.in_(navigations), links.c.target_key == identity).limit(1)
    ).first() is not None


def _enter(conn: sa.Connection, project: Project, wf: Workflow, instance_id: int,
           position: int, at: datetime, actor: str, refine: bool = False) -> int | None:
    """Open the activity at `position`: a task for people, or the persisting of the change set
    (the run id it gives)."""
    conn.execute(sa.update(workflow_instances).where(workflow_instances.c.id == instance_id)
                 .values(position=position))
    activity = wf.activities[position]
    if activity.template in AUTOMATIC:
        return _persist(conn, project, wf, instance_id, activity, at, actor)
    state = REFINE_PENDING if refine else PENDING[activity.template]
    inserted = conn.execute(sa.insert(workflow_tasks).values(
        instance_id=instance_id, position=position, activity=activity.name,
        template=activity.template.value, state=state, open=True, opened_at=at,
        deadline=_deadline(project, activity, at), approvals=0)).inserted_primary_key
    assert inserted is not None
    notices.tasks_opened(conn, project, [int(inserted[0])], at)
    return None


def _persist(conn: sa.Connection, project: Project, wf: Workflow, instance_id: int,
             activity: Activity, at: datetime, actor: str) -> int:
    instance = conn.execute(sa.select(workflow_instances).where(
        workflow_instances.c.id == instance_id)).mappings().one()
    changes = WorkflowChanges.from_text(instance["change_set"])
    found = project.entity_type(wf.entity_type)
    assert found is not None
    connector = found[0]
    runs.ensure_connector(conn, connector.identifier)
    # Locked before the values are compared: a run committing meanwhile is seen, not overwritten.
    runs.lock_connector(conn, connector.identifier)
    moved = conflicts(conn, changes)
    if moved:
        raise TaskRefused(f"{wf.identifier} #{instance_id}: the repository moved since the "
                          f"change set was written — {'; '.join(moved)}; nothing was persisted: "
                          "decline it, and start it again on the repository as it is")
    deployment_id = deployments.require_latest(conn)[0]
    reason = _approvals(conn, instance_id)
    run_id, _ = runs.start_run(conn, connector.identifier, MODE, MODE, False, False, reason,
                               deployment_id)
    provenance = f"workflow {wf.identifier} #{instance_id}"
    written = change_set(conn, project, changes, provenance)
    record_changes(conn, written, run_id)
    apply_changes(conn, written, run_id, Naming(project))
    carried = json.loads(instance["origin"] or "{}").get("orders")
    if carried:
        # Started by a run for its orders: they are settled as a direct fulfillment settles
        # them (ownership, retention schedule, unique values), under this run.
        settle(conn, [order_from_json(o) for o in carried], run_id)
    conn.execute(sa.update(connector_state)
                 .where(connector_state.c.connector == connector.identifier)
                 .values(version=connector_state.c.version + 1))
    runs.add_logs(conn, run_id, [("info", f"{provenance} persisted ({activity.name}): "
                                          f"{reason or 'no decision'}")])
    counters: dict[str, Any] = {**written.totals(), "per_entity_type": written.counts()}
    if resource_types_fed_by(project, connector):
        # What the persisted change feeds (rules reading the subject's connector) follows it,
        # for the resources it changed only.
        outcome = run_policy(conn, project, connector, run_id, at, only=written.touched())
        if outcome.orders:
            counters["orders"] = order_counts(outcome.orders)
    runs.finish_run(conn, run_id, runs.SUCCEEDED, None, counters=counters)
    conn.execute(sa.update(workflow_instances).where(workflow_instances.c.id == instance_id)
                 .values(run_id=run_id))
    _finish(conn, instance_id, COMPLETED, at)
    runs.audit(conn, actor, "workflow persisted", provenance, reason)
    return run_id


def _within(project: Project, wf: Workflow, changes: WorkflowChanges) -> None:
    """A workflow changes its `properties` (all, when it names none) of resources of its
    subject's connector: the one its Persist locks and writes."""
    subject = project.entity_type(wf.entity_type)
    assert subject is not None
    names = {p.lower() for p in wf.properties}
    for change in changes.resources:
        found = project.entity_type(change.entity_type)
        assert found is not None
        if found[0].identifier != subject[0].identifier:
            raise InvalidChanges(f"{wf.identifier} writes to {subject[0].identifier}: not to "
                                 f"{found[1].identifier}")
        outside = [p for p in [*change.values, *change.links] if names and p.lower() not in names
                   and change.entity_type.lower() == wf.entity_type.lower()]
        if outside:
            raise InvalidChanges(f"{wf.identifier} changes {', '.join(wf.properties)}: not "
                                 f"{', '.join(outside)}")


def _approvals(conn: sa.Connection, instance_id: int) -> str:
    """Who decided what, when, and why: the reason of the run that persists the change set."""
    rows = conn.execute(sa.select(workflow_decisions.c.transition, workflow_decisions.c.actor,
                                  workflow_decisions.c.at, workflow_decisions.c.comment)
                        .where(workflow_decisions.c.instance_id == instance_id)
                        .order_by(workflow_decisions.c.id)).all()
    parts = []
    for transition, actor, at, comment in rows:
        activity, _, name = transition.rpartition("-")
        when = at.date().isoformat() if isinstance(at, datetime) else str(at)[:10]
        parts.append(f"{activity.partition('-')[0]} {OUTCOMES.get(name, name).lower()} by "
                     f"{actor} on {when}" + (f": {comment}" if comment else ""))
    return "; ".join(parts)


def _finish(conn: sa.Connection, instance_id: int, state: str, at: datetime) -> str:
    conn.execute(sa.update(workflow_instances).where(workflow_instances.c.id == instance_id)
                 .values(state=state, finished_at=at))
    conn.execute(sa.update(workflow_tasks).where(workflow_tasks.c.instance_id == instance_id,
                                                 workflow_tasks.c.open.is_(True))
                 .values(open=False, closed_at=at, state="Cancelled"))
    return state


def _close(conn: sa.Connection, task_id: int, state: str, at: datetime, approvals: int) -> None:
    conn.execute(sa.update(workflow_tasks).where(workflow_tasks.c.id == task_id).values(
        open=False, state=state, closed_at=at, approvals=approvals))


def _refinable(wf: Workflow, position: int) -> int:
    for back in range(position - 1, -1, -1):
        if wf.activities[back].template is Template.ACTION_WITH_REFINE:
            return back
    raise TaskRefused(f"{wf.identifier}: no ActionWithRefine before "
                      f"{wf.activities[position].name} to send it back to")


def _transition(activity: Activity, state: str, wanted: str) -> str:
    """The transition's short name, from its name or its whole id."""
    allowed = TRANSITIONS[activity.template]
    name = wanted.rpartition("-")[2] if "-" in wanted else wanted
    match = next((t for t in allowed if t.lower() == name.lower()), None)
    if match is None or ("-" in wanted
                         and wanted.lower() != activity.transition_id(match, state).lower()):
        ids = ", ".join(activity.transition_id(t, state) for t in allowed)
        raise TaskRefused(f"`{wanted}` is no transition of {activity.name} ({state}): one of "
                          f"{ids}")
    return match


def _delegate(conn: sa.Connection, to: str | None, user: User) -> str:
    if not to:
        raise TaskRefused("delegate to whom? name the person (--to)")
    if find_user(conn, to) is None:
        raise NotFound(f"no user `{to}` to delegate to")
    if to == user.name:
        raise TaskRefused("a task is delegated to somebody else")
    return to


def _deadline(project: Project, activity: Activity, at: datetime) -> datetime | None:
    if activity.deadline_days is None:
        return None
    calendar = Calendars(project.calendars).for_site({})
    return add_business_days(at, activity.deadline_days, calendar, "UTC")


def _workflow(project: Project, identifier: str) -> Workflow:
    wf = project.workflow(identifier)
    if wf is None:
        names = ", ".join(w.identifier for w in project.workflows) or "none is configured"
        raise NotFound(f"no workflow `{identifier}` ({names})")
    return wf


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)
