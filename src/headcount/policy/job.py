"""The policy step of a synchronization job (SPEC §6.3, §7.1): after the HR changes are applied,
in the same transaction, the resource types fed by the connector are evaluated, their orders
fulfilled directly into the Directory, and the Directory's version moved on."""

from __future__ import annotations

import gc
import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Set
from datetime import UTC, datetime

import sqlalchemy as sa

from headcount.config.model import Connector, Project
from headcount.errors import HeadcountError
from headcount.fulfillment.direct import fulfill, owned, scheduled, used
from headcount.policy.cases import decided_new, open_cases
from headcount.policy.evaluation import CorrelationCase, evaluate
from headcount.policy.graph import Graph
from headcount.policy.orders import Order
from headcount.policy.reconciliation import reconcile
from headcount.repository import property_states
from headcount.repository.runs import ensure_connector, lock_connector
from headcount.repository.schema import (
    connector_state,
    ownership,
    provisioning_orders,
    scheduled_deletions,
)


def resource_types_fed_by(project: Project, connector: Connector) -> list[str]:
    types = {et.identifier.lower() for et in connector.entity_types}
    return [rt.identifier for rt in project.resource_types if rt.source.lower() in types]


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
                now: datetime | None = None, only: Mapping[str, Set[str]] | None = None
                ) -> tuple[Graph, list[Order], list[CorrelationCase], set[str]]:
    """The orders the resource types fed by the connector give on the repository as `conn`
    sees it at the instant `now` (dates are compared in each resource's time zone); and the
    connectors of their targets."""
    now = now or datetime.now(UTC)
    names = set(resource_types_fed_by(project, connector))
    chosen = [rt for rt in project.resource_types if rt.identifier in names]
    involved = involved_connectors(project, connector)
    types = [et.identifier for c in project.connectors if c.identifier in involved
             for et in c.entity_types]
    graph = Graph.load(conn, types)
    if only is not None:
        only = _with_neighbours(graph, only)
    # Values people hold by hand (SPEC §6.4) are no move of a dated record.
    held: dict[tuple[str, str], set[str]] = {}
    for state in property_states.every(conn):
        if not state.expired(now):
            held.setdefault((state.entity_type, state.resource_key), set()).add(state.property)
    orders, cases = evaluate(project, graph, owned(conn), chosen, now,
                             decided_new=decided_new(conn), scheduled=scheduled(conn),
                             only=only, used=used(conn), held=held, former=former_owners(conn))
    orders = reconcile(conn, project, orders, now)
    return graph, orders, cases, involved


def former_owners(conn: sa.Connection) -> dict[str, dict[str, str]]:
    """resource type → target kept for its retention → the source it belonged to: the deleted
    order that scheduled it names it (the ownership went with that order)."""
    out: dict[str, dict[str, str]] = {}
    o, s = provisioning_orders.c, scheduled_deletions.c
    for rt, target, source in conn.execute(
            sa.select(o.resource_type, o.target_key, o.source_key).join(
                scheduled_deletions, sa.and_(s.run_id == o.run_id,
                                             s.resource_type == o.resource_type,
                                             s.resource_key == o.target_key))
            .where(o.kind == "deleted", o.source_key.is_not(None)).order_by(o.id)):
        out.setdefault(rt, {})[target] = source
    return out


def release_replaced(conn: sa.Connection, orders: list[Order]) -> None:
    """A re-keyed target is its new source's only: the gone source that owned it until this
    run no longer does (it would own it again if its key came back)."""
    for rt, source in sorted({(o.resource_type, o.replaces) for o in orders
                              if o.establishes and o.replaces is not None}):
        conn.execute(sa.delete(ownership).where(ownership.c.resource_type == rt,
                                                ownership.c.source_key == source))


def _with_neighbours(graph: Graph, changed: Mapping[str, Set[str]]) -> dict[str, set[str]]:
    """The changed sources, and those that link to a changed resource: a person whose site's
    time zone or organization changed is evaluated again too (one step, as bindings go)."""
    out = {et: set(keys) for et, keys in changed.items()}
    ids = {graph.by_key[(et, k)] for et, keys in changed.items() for k in keys
           if (et, k) in graph.by_key}
    for (source, _), targets in graph.targets.items():
        if any(t in ids for _, t in targets):
            node = graph.nodes[source]
            out.setdefault(node.entity_type, set()).add(node.key)
    return out


class ProvisioningThreshold(HeadcountError):
    """The orders of a resource type cross its provisioning threshold: the run waits for a
    person (resume, or force with a reason)."""

    def __init__(self, crossings: list[str]) -> None:
        super().__init__("; ".join(crossings))
        self.crossings = crossings


def provisioning_crossings(project: Project, graph: Graph, orders: list[Order]) -> list[str]:
    """Resource types whose orders exceed `max_changes_pct` of their targets (checked from
    `threshold_min_orders` orders: a small company's daily changes are not a mass change), or
    that require an approval for every order. A first load (no target yet) is not checked."""
    counts = Counter(o.resource_type for o in orders)
    out = []
    for rt in project.resource_types:
        n = counts.get(rt.identifier, 0)
        if not n:
            continue
        if rt.approvals_required:
            out.append(f"{rt.identifier}: {n:,} orders wait for an approval "
                       "(approvals_required)")
            continue
        found = project.entity_type(rt.target)
        existing = len(graph.of_type(found[1].identifier)) if found else 0
        if existing and n >= rt.threshold_min_orders and n * 100 > rt.max_changes_pct * existing:
            out.append(f"{rt.identifier}: {n:,} orders for {existing:,} targets "
                       f"({n * 100 / existing:.1f} % > max_changes_pct {rt.max_changes_pct:g} %)")
    return out


def run_policy(conn: sa.Connection, project: Project, connector: Connector, run_id: int,
               now: datetime | None = None, only: Mapping[str, Set[str]] | None = None,
               guard: bool = False) -> list[Order]:
    """Plan and fulfill; with `guard`, a crossed provisioning threshold raises
    ProvisioningThreshold before anything is fulfilled."""
    # Evaluation allocates millions of small objects that all live until the run ends: the
    # cyclic garbage collector would walk them again and again for nothing to free.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _run_policy(conn, project, connector, run_id, now, only, guard)
    finally:
        if paused:
            gc.enable()


def _run_policy(conn: sa.Connection, project: Project, connector: Connector, run_id: int,
                now: datetime | None, only: Mapping[str, Set[str]] | None, guard: bool
                ) -> list[Order]:
    # The targets' connectors are locked before the plan reads them: a manual edit committed
    # between the plan and the fulfillment would be overwritten unseen (PostgreSQL; SQLite's
    # write transaction holds the whole database already).
    for name in sorted(involved_connectors(project, connector) - {connector.identifier}):
        ensure_connector(conn, name)
        lock_connector(conn, name)
    graph, orders, cases, involved = plan_policy(conn, project, connector, now, only)
    if guard:
        crossings = provisioning_crossings(project, graph, orders)
        if crossings:
            raise ProvisioningThreshold(crossings)
    open_cases(conn, cases, run_id)
    fulfill(conn, project, graph, orders, run_id)
    release_replaced(conn, orders)
    for name in sorted(involved - {connector.identifier}):
        # The targets' connector moved on: its lists and snapshots are rebuilt.
        conn.execute(sa.update(connector_state).where(connector_state.c.connector == name)
                     .values(version=connector_state.c.version + 1))
    return orders


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
