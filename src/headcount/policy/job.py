"""The policy step of a synchronization job (SPEC §6.3, §7.1): after the HR changes are applied,
in the same transaction, the resource types fed by the connector are evaluated, their orders
fulfilled directly into the Directory, and the Directory's version moved on."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Set
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from headcount import collector
from headcount.config.model import Connector, Project
from headcount.errors import HeadcountError
from headcount.fulfillment.direct import (
    fulfill,
    owned,
    record_orders,
    remember_issued,
    scheduled,
    used,
)
from headcount.fulfillment.workflows import (
    PlannedWorkflow,
    Routing,
    immediate,
    note_held,
    route,
    start_all,
)
from headcount.policy import due as due_index
from headcount.policy.cases import decided_new, open_cases
from headcount.policy.correlation import CorrelationCase
from headcount.policy.due import refresh as refresh_due
from headcount.policy.evaluation import evaluate
from headcount.policy.graph import Graph
from headcount.policy.orders import Order
from headcount.policy.reconciliation import reconcile
from headcount.policy.scope import depth, load_scope, owned_in_scope
from headcount.repository import property_states
from headcount.repository.database import analyze_if_stale
from headcount.repository.runs import ensure_connector, lock_connector
from headcount.repository.schema import (
    connector_state,
    correlation_cases,
    policy_due_state,
)
from headcount.repository.schema import (
    runs as run_table,
)

# Whether a run that evaluates some sources reads only those (policy/scope.py); the tests
# compare both ways.
SCOPED = True


def resource_types_fed_by(project: Project, connector: Connector) -> list[str]:
    types = {et.identifier.lower() for et in connector.entity_types}
    # An owner resource type only names the owners of accounts (headcount.accounts.owners):
    # it never gives an order.
    return [rt.identifier for rt in project.resource_types
            if rt.source.lower() in types and not rt.owner]


def involved_connectors(project: Project, connector: Connector) -> set[str]:
    """The connector and those of its resource types' targets (the Directory)."""
    names = set(resource_types_fed_by(project, connector))
    involved = {connector.identifier}
    for rt in project.resource_types:
        found = project.entity_type(rt.target) if rt.identifier in names else None
        if found is not None:
            involved.add(found[0].identifier)
    return involved


def plan_policy(conn: sa.Connection, project: Project, connector: Connector,
                now: datetime | None = None, only: Mapping[str, Set[str]] | None = None,
                due: Mapping[str, Set[str]] | None = None
                ) -> tuple[Graph, list[Order], list[CorrelationCase], set[str]]:
    """The orders the resource types fed by the connector give on the repository as `conn`
    sees it at the instant `now` (dates are compared in each resource's time zone); and the
    connectors of their targets."""
    now = now or datetime.now(UTC)
    analyze_if_stale(conn, ["resources", "links", "ownership", "provisioning_orders",
                            "scheduled_deletions", "used_values", "policy_due"])
    names = set(resource_types_fed_by(project, connector))
    chosen = [rt for rt in project.resource_types if rt.identifier in names]
    involved = involved_connectors(project, connector)
    types = [et.identifier for c in project.connectors if c.identifier in involved
             for et in c.entity_types]
    ownership: Mapping[str, Mapping[str, str]]
    if (only is not None or due is not None) and SCOPED:
        # Only some sources are evaluated: read them and what they reach, not everyone.
        graph, only = load_scope(conn, project, chosen, types, only or {}, due or {})
        sources = {rt.identifier: rt.source for rt in chosen}
        ownership = owned_in_scope(conn, sources, only, sources)
    else:
        graph = Graph.load(conn, types)
        if only is not None or due is not None:
            only = _with_neighbours(graph, only or {}, depth(chosen))
            for et, keys in (due or {}).items():
                only.setdefault(et, set()).update(keys)
        ownership = owned(conn)
    # Values people hold by hand (SPEC §6.4) are no move of a dated record.
    held: dict[tuple[str, str], set[str]] = {}
    for state in property_states.every(conn):
        if not state.expired(now):
            held.setdefault((state.entity_type, state.resource_key), set()).add(state.property)
    orders, cases = evaluate(project, graph, ownership, chosen, now,
                             decided_new=decided_new(conn), scheduled=scheduled(conn),
                             only=only, used=used(conn), held=held, former=former_owners(conn))
    orders = reconcile(conn, project, orders, now)
    return graph, orders, cases, involved


def remember_versions(conn: sa.Connection, connector: Connector, involved: Set[str]) -> None:
    """The targets' versions the policy leaves: while no one else writes them (a workflow, a
    review, an edit), the next complete run need not evaluate everyone again."""
    versions = _versions(conn, involved - {connector.identifier})
    conn.execute(sa.update(policy_due_state)
                 .where(policy_due_state.c.connector == connector.identifier)
                 .values(versions=json.dumps(versions, sort_keys=True)))


def _versions(conn: sa.Connection, names: Set[str]) -> dict[str, int]:
    c = connector_state.c
    return {str(n): int(v) for n, v in conn.execute(
        sa.select(c.connector, c.version).where(c.connector.in_(sorted(names))))}


def complete_scope(conn: sa.Connection, project: Project, connector: Connector,
                   touched: Mapping[str, Set[str]], now: datetime
                   ) -> tuple[Mapping[str, Set[str]], dict[str, set[str]]] | None:
    """What a complete run evaluates (issue 14): the sources its file changed (and those
    reaching them) and those with a dated transition due — when that is all a full evaluation
    could change: the index of transitions is complete for this configuration, and nothing but
    the policy wrote the targets since its last run (else None: everyone)."""
    if not SCOPED or not due_index.complete(conn, project, connector, now):
        return None
    written = conn.execute(sa.select(policy_due_state.c.versions).where(
        policy_due_state.c.connector == connector.identifier)).scalar()
    involved = involved_connectors(project, connector) - {connector.identifier}
    if written is None or json.loads(written) != _versions(conn, involved):
        return None
    due = due_index.due_sources(conn, project, connector, now)
    # A source waiting for a person's decision (a correlation case) is looked at again: its
    # candidates may have gone meanwhile.
    sources = {rt.identifier: rt.source for rt in project.resource_types}
    c, r = correlation_cases.c, run_table.c
    # A decision taken while a run was in progress waits for the next run: the cases decided
    # since the last run that applied the policy began.
    last = conn.execute(sa.select(sa.func.max(sa.func.coalesce(r.started_at, r.created_at)))
                        .where(r.connector == connector.identifier, r.dry_run.is_(False),
                               r.state.in_(["succeeded", "succeeded with warnings"]))).scalar()
    waiting = c.state == "open"
    if last is not None:
        waiting = sa.or_(waiting, c.decided_at >= last)
    else:
        waiting = sa.or_(waiting, c.decided_at.is_not(None))
    for rt_name, source in conn.execute(sa.select(c.resource_type, c.source_key)
                                        .where(waiting)):
        if rt_name in sources:
            due.setdefault(sources[rt_name], set()).add(source)
    return touched, due


def former_owners(conn: sa.Connection) -> dict[str, dict[str, str]]:
    """resource type → target kept for its retention → the source it belonged to: the deleted
    order that scheduled it names it (the ownership went with that order)."""
    out: dict[str, dict[str, str]] = {}
    for rt, _, target, source in due_index.scheduled_by(conn):
        out.setdefault(rt, {})[target] = source
    return out


def _with_neighbours(graph: Graph, changed: Mapping[str, Set[str]], steps: int
                     ) -> dict[str, set[str]]:
    """The changed sources, and those that link to a changed resource: a person whose site's
    time zone or organization changed is evaluated again too (as many links far as the rules'
    bindings go — as policy/scope.py reads them)."""
    out = {et: set(keys) for et, keys in changed.items()}
    frontier = {graph.by_key[(et, k)] for et, keys in changed.items() for k in keys
                if (et, k) in graph.by_key}
    known = set(frontier)
    # A resource the run deleted is gone with its id: what linked to it holds its key, pending.
    gone = {k for et, keys in changed.items() for k in keys if (et, k) not in graph.by_key}
    reached = {source for (source, _), targets in graph.targets.items()
               if any(t is None and k in gone for k, t in targets)}
    for _ in range(steps):
        reached |= {source for (source, _), targets in graph.targets.items()
                    if any(t in frontier for _, t in targets)}
        reached -= known
        known |= reached
        frontier, reached = reached, set()
        if not frontier:
            break
    for node_id in known:
        node = graph.nodes[node_id]
        out.setdefault(node.entity_type, set()).add(node.key)
    return out


class ProvisioningThreshold(HeadcountError):
    """The orders of a resource type cross its provisioning threshold: the run waits for a
    person (resume, or force with a reason)."""

    def __init__(self, crossings: list[str]) -> None:
        super().__init__("; ".join(crossings))
        self.crossings = crossings


def provisioning_crossings(project: Project, graph: Graph, orders: list[Order],
                           routing: Routing | None = None) -> list[str]:
    """Resource types whose orders exceed `max_changes_pct` of their targets (checked from
    `threshold_min_orders` orders: a small company's daily changes are not a mass change), or
    that require an approval for every order; connections that would start more workflows than
    that share of their subjects. A first load (no target yet) is not checked."""
    counts = Counter(o.resource_type for o in orders)
    out = _workflow_crossings(project, graph, routing) if routing is not None else []
    for rt in project.resource_types:
        n = counts.get(rt.identifier, 0)
        if not n:
            continue
        if rt.approvals_required:
            out.append(f"{rt.identifier}: {n:,} orders wait for an approval "
                       "(approvals_required)")
            continue
        found = project.entity_type(rt.target)
        existing = graph.count(found[1].identifier) if found else 0
        if existing and n >= rt.threshold_min_orders and n * 100 > rt.max_changes_pct * existing:
            out.append(f"{rt.identifier}: {n:,} orders for {existing:,} targets "
                       f"({n * 100 / existing:.1f} % > max_changes_pct {rt.max_changes_pct:g} %)")
    return out


def _workflow_crossings(project: Project, graph: Graph, routing: Routing) -> list[str]:
    """The workflows a run starts count against the provisioning threshold of the resource
    types they fulfill, per subject: a mass change is a mass of tasks too."""
    out = []
    by_connection = Counter(p.connection for p in routing.workflows)
    for wc in project.workflow_connections:
        n = by_connection.get(wc.identifier, 0)
        rts = [rt for rt in project.resource_types
               if rt.identifier.lower() in {r.lower() for r in wc.resource_types}]
        if not n or not rts:
            continue
        subject = next(p.subject_type for p in routing.workflows
                       if p.connection == wc.identifier)
        existing = graph.count(subject)
        pct = min(rt.max_changes_pct for rt in rts)
        least = min(rt.threshold_min_orders for rt in rts)
        if existing and n >= least and n * 100 > pct * existing:
            out.append(f"{wc.identifier}: {n:,} workflows for {existing:,} {subject} "
                       f"({n * 100 / existing:.1f} % > max_changes_pct {pct:g} %)")
    return out


@dataclass
class Outcome:
    """What the policy step of a run did: the orders it issued (fulfilled, or carried by the
    workflows it started) and how they were routed."""

    orders: list[Order]
    routing: Routing


def run_policy(conn: sa.Connection, project: Project, connector: Connector, run_id: int,
               now: datetime | None = None, only: Mapping[str, Set[str]] | None = None,
               guard: bool = False, workflows: bool = True,
               due: Mapping[str, Set[str]] | None = None) -> Outcome:
    """Plan and fulfill; with `guard`, a crossed provisioning threshold raises
    ProvisioningThreshold before anything is fulfilled."""
    # Evaluation allocates millions of small objects that all live until the run ends (a job
    # keeps the collector paused until its orders are gone too: headcount.collector).
    with collector.paused():
        return _run_policy(conn, project, connector, run_id, now, only, guard, workflows, due)


def _run_policy(conn: sa.Connection, project: Project, connector: Connector, run_id: int,
                now: datetime | None, only: Mapping[str, Set[str]] | None, guard: bool,
                workflows: bool, due: Mapping[str, Set[str]] | None) -> Outcome:
    now = now or datetime.now(UTC)
    # The targets' connectors are locked before the plan reads them: a manual edit committed
    # between the plan and the fulfillment would be overwritten unseen (PostgreSQL; SQLite's
    # write transaction holds the whole database already).
    for name in sorted(involved_connectors(project, connector) - {connector.identifier}):
        ensure_connector(conn, name)
        lock_connector(conn, name)
    graph, orders, cases, involved = plan_policy(conn, project, connector, now, only, due)
    routing = route(conn, project, graph, orders, now) if workflows else Routing(orders)
    issued = routing.issued()
    if guard:
        crossings = provisioning_crossings(project, graph, issued, routing)
        if crossings:
            raise ProvisioningThreshold(crossings)
    open_cases(conn, cases, run_id)
    # Workflows no person acts on (a contractor created without review) persist at once: their
    # orders are fulfilled with the run's, and the instance records it.
    at_once: list[PlannedWorkflow] = []
    waiting: list[PlannedWorkflow] = []
    for planned in routing.workflows:
        (at_once if immediate(project, planned) else waiting).append(planned)
    fulfill(conn, project, graph, routing.direct + [o for p in at_once for o in p.orders],
            run_id)
    start_all(conn, project, routing.workflows, run_id, f"run {run_id}", now)
    # The run issued the orders its waiting workflows carry: its job result lists them.
    record_orders(conn, [o for p in waiting for o in p.orders], run_id)
    # The unique values a waiting workflow proposes are kept for it: no other person of a
    # later run is given the same login meanwhile.
    remember_issued(conn, [o for p in waiting for o in p.orders])
    note_held(conn, routing.held, run_id, now)
    evaluated = None if only is None and due is None else \
        {et: {*(only or {}).get(et, ()), *(due or {}).get(et, ())}
         for et in {*(only or {}), *(due or {})}}
    refresh_due(conn, project, connector, graph, now, evaluated, routing)
    for name in sorted(involved - {connector.identifier}):
        # The targets' connector moved on: its lists and snapshots are rebuilt.
        conn.execute(sa.update(connector_state).where(connector_state.c.connector == name)
                     .values(version=connector_state.c.version + 1))
    remember_versions(conn, connector, involved)
    return Outcome(issued, routing)


def order_digest(orders: list[Order]) -> str:
    """A fingerprint of the orders themselves (not only their counts): what a person who
    confirms a preview saw, and what a resume must give."""
    lines = sorted(json.dumps([o.resource_type, o.kind, o.target_type, o.target_key,
                               o.source_key, o.as_json()], ensure_ascii=False, sort_keys=True,
                              default=str) for o in orders)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:16]


def order_counts(orders: list[Order]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (rt, kind), n in Counter((o.resource_type, o.kind) for o in orders).items():
        out.setdefault(rt, {})[kind] = n
    return out
