"""Fulfill through workflows (SPEC §7.2): the orders of the resource types an internal-workflow
connection names start one workflow per person — the orders of an identity and of its records
together — by change type, instead of being written at once. Nothing reaches the repository
before the workflow's Persist; what a change type leaves out is fulfilled directly.

Routing is a plan, computed the same way by a dry run, the preview of a blocked run and the
real run, so that all three list the same workflows."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from headcount.config.internal_workflow import ChangeType, InternalWorkflowConnection
from headcount.config.model import Project
from headcount.config.workflow import AUTOMATIC, OUTCOMES, PENDING, TRANSITIONS, Workflow
from headcount.policy.expressions import Expression, compile_expression
from headcount.policy.graph import Graph, Node
from headcount.policy.orders import Order
from headcount.repository import runs
from headcount.repository.bulk import raw_rows, reserve_ids
from headcount.repository.schema import workflow_decisions, workflow_instances, workflow_tasks
from headcount.workflows import notices
from headcount.workflows.calendar import Calendars, add_business_days
from headcount.workflows.changes import ResourceChange, WorkflowChanges

RUNNING, COMPLETED, ABORTED, PLANNED = "running", "completed", "aborted", "planned"
KINDS = ("added", "modified", "deleted")
_PLACEHOLDER = re.compile(r"\$(Changes|Resource):([A-Za-z0-9_.-]+)\$")


@dataclass
class PlannedWorkflow:
    """One workflow a run starts: for one subject (an identity), the parts of its orders that
    go through people."""

    workflow: str
    kind: str  # the change type that chose it: added, modified or deleted
    connection: str
    subject_type: str
    subject_key: str
    orders: list[Order]
    message: str | None = None
    transition: str | None = None
    # Filled by `route`: the fingerprint of what it proposes.
    digest: str = ""

    def changes(self) -> WorkflowChanges:
        return WorkflowChanges([_resource_change(o) for o in self.orders])

    def summary(self) -> dict[str, Any]:
        return {"workflow": self.workflow, "kind": self.kind, "subject": self.subject_key,
                "digest": self.digest}


@dataclass
class Held:
    """A subject a workflow is already deciding on (running), or a change a person declined:
    the run starts nothing for it."""

    planned: PlannedWorkflow
    instance_id: int
    state: str


@dataclass
class Routing:
    direct: list[Order] = field(default_factory=list)
    workflows: list[PlannedWorkflow] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)

    def issued(self) -> list[Order]:
        """The orders the run issues: fulfilled directly or carried by a workflow it starts
        (not those of a subject held by a workflow already)."""
        return self.direct + [o for p in self.workflows for o in p.orders]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for planned in self.workflows:
            out[planned.workflow] = out.get(planned.workflow, 0) + 1
        return dict(sorted(out.items()))

    def digest(self) -> str:
        """A fingerprint of the workflows themselves (kind, subject, change set): a dry run
        and the run that follows give the same."""
        lines = sorted(f"{p.workflow}|{p.subject_type}|{p.subject_key}|{p.digest}"
                       for p in self.workflows)
        return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:16]


def route(conn: sa.Connection, project: Project, graph: Graph, orders: list[Order],
          now: datetime) -> Routing:
    """Split the orders between direct fulfillment and the workflows to start; subjects a
    running workflow holds, or whose same change a person declined, start nothing."""
    routing = Routing()
    groups: dict[tuple[str, str, str], list[Order]] = {}
    connections: dict[str, InternalWorkflowConnection] = {}
    # A run routes tens of thousands of orders through a handful of connections: each
    # connection, subject type and expression is looked up or compiled once, not per order.
    by_resource_type: dict[str, InternalWorkflowConnection | None] = {}
    subject_types: dict[str, str | None] = {}
    for order in orders:
        if order.resource_type not in by_resource_type:
            by_resource_type[order.resource_type] = project.workflow_connection(
                order.resource_type)
        wc = by_resource_type[order.resource_type]
        if wc is not None and wc.identifier not in subject_types:
            subject_types[wc.identifier] = _subject_type(project, wc)
        subject = _subject(project, graph, subject_types[wc.identifier], order) \
            if wc is not None else None
        if wc is None or subject is None:
            routing.direct.append(order)
            continue
        connections[wc.identifier] = wc
        groups.setdefault((wc.identifier, *subject), []).append(order)
    planned: list[PlannedWorkflow] = []
    expressions = _Expressions(project)
    unique = _unique_values(project)
    for (connection, subject_type, subject_key), group in groups.items():
        wc = connections[connection]
        kind = next((o.kind for o in group if o.target_type == subject_type
                     and o.target_key == subject_key), "modified")
        change: ChangeType | None = getattr(wc.change_types, kind)
        if change is None:
            routing.direct += group
            continue
        through: list[Order] = []
        for order in group:
            inside, outside = _split(order, change, project)
            through += [inside] if inside is not None else []
            routing.direct += [outside] if outside is not None else []
        if not through:
            continue
        if kind == "deleted":
            through = [_dated(o, change, project, graph, now) for o in through]
        context = _Context(project, graph, subject_type, subject_key, through, kind)
        workflow, transition = _choose(expressions, change, context)
        message = _message(change.message, context) if change.message else None
        p = PlannedWorkflow(workflow, kind, connection, subject_type, subject_key, through,
                            message, transition)
        p.digest = _digest(unique, p)
        planned.append(p)
    held = _held(conn, planned)
    for p in planned:
        if (p.subject_type, p.subject_key) in held or p.digest in held:
            instance_id, state = held.get((p.subject_type, p.subject_key)) or held[p.digest]
            routing.held.append(Held(p, instance_id, state))
        else:
            routing.workflows.append(p)
    return routing


def _subject(project: Project, graph: Graph, subject_type: str | None, order: Order
             ) -> tuple[str, str] | None:
    """The identity an order is about: its own target, or the one its target links to."""
    if subject_type is None:
        return None
    if order.target_type == subject_type:
        return subject_type, order.target_key
    found = project.entity_type(order.target_type)
    if found is None:
        return None
    for prop in found[1].properties:
        if not prop.is_navigation or (prop.target or "").lower() != subject_type.lower():
            continue
        before, after = order.links.get(prop.identifier, ([], []))
        keys = after or before
        if not keys:
            node_id = graph.by_key.get((order.target_type, order.target_key))
            keys = graph.linked_keys(graph.nodes[node_id], prop.identifier) \
                if node_id is not None else []
        if keys:
            return subject_type, keys[0]
    return None


def _subject_type(project: Project, wc: InternalWorkflowConnection) -> str | None:
    for kind in KINDS:
        change: ChangeType | None = getattr(wc.change_types, kind)
        wf = project.workflow(change.workflow) if change is not None else None
        if wf is not None:
            found = project.entity_type(wf.entity_type)
            return found[1].identifier if found else None
    return None


def _listed(names: list[str], entity_type: str) -> set[str]:
    out = set()
    for name in names:
        entity, _, prop = name.rpartition(".")
        if not entity or entity.lower() == entity_type.lower():
            out.add(prop.lower())
    return out


def _split(order: Order, change: ChangeType, project: Project
           ) -> tuple[Order | None, Order | None]:
    """The part of an order its workflow carries, and the part fulfilled directly. A creation,
    a deletion and a change of owner (a re-key) go whole: they are one decision."""
    whole = order.kind != "modified" or order.establishes \
        or order.replaces is not None \
        or not (change.scalar_properties or change.navigation_properties)
    if whole:
        return order, None
    scalars = _listed(change.scalar_properties, order.target_type)
    navigations = _listed(change.navigation_properties, order.target_type)
    values_in = {k: v for k, v in order.values.items() if k.lower() in scalars}
    links_in = {k: v for k, v in order.links.items() if k.lower() in navigations}
    values_out = {k: v for k, v in order.values.items() if k not in values_in}
    links_out = {k: v for k, v in order.links.items() if k not in links_in}
    inside = dataclasses.replace(order, values=values_in, links=links_in,
                                 issued={k: v for k, v in order.issued.items()
                                         if k in values_in}) \
        if values_in or links_in else None
    outside = dataclasses.replace(order, values=values_out, links=links_out,
                                  issued={k: v for k, v in order.issued.items()
                                          if k in values_out}) \
        if values_out or links_out else None
    return inside, outside


def _dated(order: Order, change: ChangeType, project: Project, graph: Graph,
           now: datetime) -> Order:
    """A deletion that gives no date for a `date_properties` property, of a resource that
    holds none, takes the run's date; a date it holds (a contract that ended earlier) stays."""
    found = project.entity_type(order.target_type)
    if found is None or not change.date_properties:
        return order
    node_id = graph.by_key.get((order.target_type, order.target_key))
    held = graph.nodes[node_id].values if node_id is not None else {}
    today = now.astimezone(UTC).date().isoformat()
    values = dict(order.values)
    for name in _listed(change.date_properties, order.target_type):
        prop = found[1].find_property(name)
        if prop is not None and prop.identifier not in values \
                and held.get(prop.identifier) is None:
            values[prop.identifier] = (None, today)
    return dataclasses.replace(order, values=values)


class _Context:
    """The names a `when` expression and a message read about one planned workflow."""

    def __init__(self, project: Project, graph: Graph, subject_type: str, subject_key: str,
                 orders: list[Order], kind: str) -> None:
        self.project, self.graph, self.orders, self.kind = project, graph, orders, kind
        self.subject_type, self.subject_key = subject_type, subject_key
        self.subject_orders = sorted(orders, key=lambda o: (
            o.target_type != subject_type, o.target_key != subject_key))

    def changes(self, path: str, before: bool = False) -> Any:
        """The order's value of a property — the subject's first, then its records' — or,
        through a navigation, a value of the resource it now links to."""
        head, _, rest = path.partition(".")
        for order in self.subject_orders:
            if not rest and head in order.values:
                pair = order.values[head]
                return pair[0] if before else pair[1]
            if head in order.links:
                keys = order.links[head][0 if before else 1]
                target_type = order.link_types.get(head) or self._target_type(order, head)
                if not keys:
                    return None
                if not rest:
                    return keys[0]
                node_id = self.graph.by_key.get((target_type, keys[0]))
                return self.graph.value(self.graph.nodes[node_id], rest) \
                    if node_id is not None else None
        return self.resource(path) if not before else None

    def _target_type(self, order: Order, navigation: str) -> str:
        found = self.project.entity_type(order.target_type)
        prop = found[1].find_property(navigation) if found else None
        return (prop.target or "") if prop else ""

    def resource(self, path: str) -> Any:
        node = self._node(self.subject_type, self.subject_key)
        return self.graph.value(node, path) if node is not None else None

    def source(self, path: str) -> Any:
        for order in self.subject_orders:
            if order.source_key is None:
                continue
            rt = next((r for r in self.project.resource_types
                       if r.identifier == order.resource_type), None)
            found = self.project.entity_type(rt.source) if rt else None
            node = self._node(found[1].identifier, order.source_key) if found else None
            if node is not None:
                return self.graph.value(node, path)
        return None

    def _node(self, entity_type: str, key: str) -> Node | None:
        node_id = self.graph.by_key.get((entity_type, key))
        return self.graph.nodes[node_id] if node_id is not None else None

    def replaces(self) -> str | None:
        return next((o.replaces for o in self.orders if o.replaces is not None), None)

    def values_for(self, names: Iterable[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in names:
            head, _, rest = name.partition(".")
            if name == "Kind":
                out[name] = self.kind
            elif name == "Replaces":
                out[name] = self.replaces()
            elif head == "Changes":
                out[name] = self.changes(rest)
            elif head == "Before":
                out[name] = self.changes(rest, before=True)
            elif head == "Resource":
                out[name] = self.resource(rest)
            elif head == "Source":
                out[name] = self.source(rest)
            else:
                out[name] = None
        return out


class _Expressions:
    """The `when` expressions of a project's change types, each compiled once."""

    def __init__(self, project: Project) -> None:
        self._tables = project.lookup_tables()
        self._compiled: dict[str, Expression] = {}

    def __getitem__(self, text: str) -> Expression:
        if text not in self._compiled:
            self._compiled[text] = compile_expression(text, tables=self._tables)
        return self._compiled[text]


def _choose(expressions: _Expressions, change: ChangeType, context: _Context
            ) -> tuple[str, str | None]:
    """The workflow to start, and the transition the connector takes on its first activity."""
    for choice in change.choose:
        expression = expressions[choice.when]
        if expression.evaluate(context.values_for(expression.names)):
            return choice.workflow, choice.transition
    return change.workflow, change.transition


def _message(template: str, context: _Context) -> str:
    def value(match: re.Match[str]) -> str:
        found = context.changes(match.group(2)) if match.group(1) == "Changes" \
            else context.resource(match.group(2))
        return "" if found is None else str(found)

    return _PLACEHOLDER.sub(value, template)


def _resource_change(order: Order) -> ResourceChange:
    if order.kind == "added":
        kind = "insert"
    elif order.kind == "deleted" and order.retain_until is None:
        kind = "delete"
    else:
        kind = "update"
    links = {} if kind == "delete" else dict(order.links)
    return ResourceChange(order.target_type, order.target_key, kind,  # type: ignore[arg-type]
                          dict(order.values), links)


def _unique_values(project: Project) -> set[tuple[str, str]]:
    """(resource type, property) of the values issued unique (logins, e-mails)."""
    return {(rt.identifier, r.target) for rt in project.resource_types for r in rt.scalars
            if r.unique}


def _digest(unique: set[tuple[str, str]], planned: PlannedWorkflow) -> str:
    """What the workflow proposes, without the unique values issued for it: those differ on
    each evaluation while a proposal waits (its login is kept for it), the proposal does not."""
    changes = []
    for order in planned.orders:
        data = _resource_change(order).as_json()
        data["values"] = {k: v for k, v in data["values"].items()
                          if (order.resource_type, k) not in unique}
        changes.append(json.dumps(data, sort_keys=True, default=str))
    body = json.dumps([planned.workflow, planned.subject_type, planned.subject_key,
                       sorted(changes)], ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]


def _held(conn: sa.Connection, planned: list[PlannedWorkflow]
          ) -> dict[Any, tuple[int, str]]:
    """(subject type, key) → the running instance deciding on it; digest → the instance in
    which a person declined that very change."""
    if not planned:
        return {}
    out: dict[Any, tuple[int, str]] = {}
    types = sorted({p.subject_type for p in planned})
    wanted = {(p.subject_type, p.subject_key) for p in planned}
    for iid, et, key in raw_rows(conn, sa.select(
            workflow_instances.c.id, workflow_instances.c.entity_type,
            workflow_instances.c.subject_key).where(
            workflow_instances.c.state == RUNNING, workflow_instances.c.entity_type.in_(types))):
        if (et, key) in wanted:
            out[(et, key)] = (int(iid), RUNNING)
    digests = sorted({p.digest for p in planned})
    for chunk in range(0, len(digests), 500):
        for iid, digest in raw_rows(conn, sa.select(
                workflow_instances.c.id, workflow_instances.c.digest).where(
                workflow_instances.c.state == ABORTED,
                workflow_instances.c.digest.in_(digests[chunk:chunk + 500]))):
            out.setdefault(digest, (int(iid), ABORTED))
    return out


# Orders travel with their workflow (its origin) until Persist settles them.

def order_to_json(order: Order) -> dict[str, Any]:
    # Field by field, not `dataclasses.asdict`: its deep copy of every value cost 11 of the
    # 17 s that starting 10,000 workflows took (bench/workflow_bench.py).
    out = {f.name: getattr(order, f.name) for f in dataclasses.fields(Order)}
    out["values"] = {k: list(v) for k, v in order.values.items()}
    out["links"] = {k: [list(b), list(a)] for k, (b, a) in order.links.items()}
    if order.retain_until is not None:
        out["retain_until"] = order.retain_until.isoformat()
    return out


def order_from_json(data: dict[str, Any]) -> Order:
    names = {f.name for f in dataclasses.fields(Order)}
    values = {k: v for k, v in data.items() if k in names}
    values["values"] = {k: (b, a) for k, (b, a) in data.get("values", {}).items()}
    values["links"] = {k: (list(b), list(a)) for k, (b, a) in data.get("links", {}).items()}
    if data.get("retain_until"):
        values["retain_until"] = date.fromisoformat(data["retain_until"])
    return Order(**values)


def immediate(project: Project, planned: PlannedWorkflow) -> bool:
    """Whether the workflow persists as soon as it starts: no person acts on it (a contractor
    created without review), or the connector's own transition leads to its Persist."""
    wf = project.workflow(planned.workflow)
    assert wf is not None
    position = _after_transition(wf, planned.transition)
    return position is not None and wf.activities[position].template in AUTOMATIC


def _after_transition(wf: Workflow, transition: str | None) -> int | None:
    """The position the instance is at once started; None: aborted by the transition."""
    if transition is None:
        return 0
    first = wf.activities[0]
    name = transition.rpartition("-")[2]
    effect = TRANSITIONS.get(first.template, {}).get(
        next((t for t in TRANSITIONS.get(first.template, {}) if t.lower() == name.lower()), ""))
    if effect == "next":
        return 1
    if effect == "abort":
        return None
    return 0


def start_all(conn: sa.Connection, project: Project, planned: list[PlannedWorkflow],
              run_id: int, actor: str, now: datetime, state: str = RUNNING) -> list[int]:
    """Record the workflows a run starts, set-wise (a run may start thousands): instances with
    their change set and orders, the connector's own transition, the first task of each.
    `immediate` ones are recorded completed with the run (which fulfilled their orders); with
    `state` PLANNED, a dry run's list, nothing else."""
    if not planned:
        return []
    at = now.astimezone(UTC)
    rows = []
    for p in planned:
        wf = project.workflow(p.workflow)
        assert wf is not None
        position = _after_transition(wf, p.transition)
        done = state == RUNNING and immediate(project, p)
        origin: dict[str, Any] = {"run_id": run_id, "connection": p.connection,
                                  "kind": p.kind,
                                  "orders": [order_to_json(o) for o in p.orders]}
        # The HR resource it came from (the subject's order first): the task shows its line.
        sourced = next((o for o in sorted(p.orders, key=lambda o: o.target_type !=
                                          p.subject_type) if o.source_key is not None), None)
        source = project_source(project, sourced.resource_type) if sourced else None
        if sourced is not None and source is not None:
            origin.update(resource_type=sourced.resource_type, source_type=source,
                          source_key=sourced.source_key)
        rows.append({
            "workflow": wf.identifier, "entity_type": p.subject_type,
            "subject_key": p.subject_key, "message": p.message,
            "state": state if state != RUNNING else (
                COMPLETED if done else ABORTED if position is None else RUNNING),
            "position": position if position is not None else 0,
            "change_set": p.changes().to_text(),
            "origin": json.dumps(origin, ensure_ascii=False, default=str),
            "started_by": actor, "started_at": at,
            "finished_at": at if state == RUNNING and (done or position is None) else None,
            "run_id": run_id if done else None, "digest": p.digest, "notes": None,
            "started_by_run": run_id})
    # Ids drawn first, rows written by executemany: an `INSERT … RETURNING` of thousands of
    # rows goes one row at a time on SQLite.
    ids = reserve_ids(conn, workflow_instances, len(rows))
    for row, iid in zip(rows, ids, strict=True):
        row["id"] = iid
    conn.execute(sa.insert(workflow_instances), rows)
    if state != RUNNING:
        return ids
    calendars = Calendars(project.calendars)
    # The connector's own transition closes the first task: a decision like any other. Each
    # instance's tasks are written together, in order: a workflow's task ids follow each other.
    written: list[dict[str, Any]] = []
    taken: dict[int, tuple[int, str]] = {}  # position in `written` → (instance, transition)
    deadlines: dict[float, datetime] = {}
    for p, row, iid in zip(planned, rows, ids, strict=True):
        wf = project.workflow(p.workflow)
        assert wf is not None
        if p.transition is not None:
            first = wf.activities[0]
            name = p.transition.rpartition("-")[2]
            outcome = OUTCOMES.get(next((t for t in TRANSITIONS[first.template]
                                         if t.lower() == name.lower()), ""), "Executed")
            taken[len(written)] = (iid, first.transition_id(name))
            written.append({"instance_id": iid, "position": 0, "activity": first.name,
                            "template": first.template.value, "state": outcome,
                            "open": False, "opened_at": at, "closed_at": at,
                            "deadline": None, "delegated_to": None, "approvals": 1})
        if row["state"] != RUNNING:
            continue
        activity = wf.activities[int(str(row["position"]))]
        days = activity.deadline_days
        # Every task of the run opens at the same instant: one deadline per number of days.
        if days is not None and days not in deadlines:
            deadlines[days] = add_business_days(at, days, calendars.for_site({}), "UTC")
        deadline = deadlines[days] if days is not None else None
        written.append({"instance_id": iid, "position": row["position"],
                        "activity": activity.name, "template": activity.template.value,
                        "state": PENDING[activity.template], "open": True, "opened_at": at,
                        "closed_at": None, "deadline": deadline, "delegated_to": None,
                        "approvals": 0})
    if written:
        task_ids = reserve_ids(conn, workflow_tasks, len(written))
        for row, tid in zip(written, task_ids, strict=True):
            row["id"] = tid
        conn.execute(sa.insert(workflow_tasks), written)
        if taken:
            conn.execute(sa.insert(workflow_decisions), [
                {"instance_id": iid, "task_id": task_ids[n], "actor": actor, "at": at,
                 "transition": transition, "comment": None, "delegated_to": None}
                for n, (iid, transition) in taken.items()])
        # Who may act on them is told (or, nobody can, the fallback takes them): once per run.
        notices.tasks_opened(conn, project, [tid for n, tid in enumerate(task_ids)
                                             if written[n]["open"]], at)
    runs.audit(conn, actor, "workflows started", f"run {run_id}",
               ", ".join(f"{n:,} {w}" for w, n in Routing(workflows=planned).counts().items()))
    return ids


def project_source(project: Project, resource_type: str) -> str | None:
    """The source entity type of a resource type."""
    rt = next((r for r in project.resource_types if r.identifier == resource_type), None)
    found = project.entity_type(rt.source) if rt else None
    return found[1].identifier if found else None


def note_held(conn: sa.Connection, held: list[Held], run_id: int, now: datetime) -> int:
    """Tell the reviewer of a running workflow what HR says now, when it differs from what
    the workflow proposes (HR moved again): shown at review time, never overwritten."""
    running = {h.instance_id: h for h in held if h.state == RUNNING}
    # Set-wise: the next run after a mass hire holds thousands of waiting reviews.
    ids = sorted(running)
    current: dict[int, str | None] = {}
    for chunk in range(0, len(ids), 500):
        current.update((int(iid), digest) for iid, digest in raw_rows(conn, sa.select(
            workflow_instances.c.id, workflow_instances.c.digest).where(
            workflow_instances.c.id.in_(ids[chunk:chunk + 500]))))
    at = now.astimezone(UTC).isoformat()
    notes = [{"held_id": iid, "held_notes": json.dumps(
        {"run_id": run_id, "at": at, "workflow": h.planned.workflow,
         "changes": json.loads(h.planned.changes().to_text())}, ensure_ascii=False, default=str)}
        for iid, h in running.items() if current.get(iid) != h.planned.digest]
    if notes:
        conn.execute(sa.update(workflow_instances).where(
            workflow_instances.c.id == sa.bindparam("held_id")).values(
            notes=sa.bindparam("held_notes")), notes)
    return len(notes)
