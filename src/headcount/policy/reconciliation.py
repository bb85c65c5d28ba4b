"""Who may overwrite what (SPEC §6.4): orders meet the property states people set.

A computed value that a person changed by hand is not overwritten by HR while it waits for a
decision (unreconciled, postponed), while it is kept (protected: a new HR value marks it
questioned) or while its override runs; the newly computed value becomes its proposed value.
A resource type with `discard_manual_changes` always wins, and so does HR once an override has
expired."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from headcount.config.model import Project
from headcount.policy.orders import Order
from headcount.repository import property_states
from headcount.repository.property_states import PropertyState


def computed_properties(project: Project, entity_type: str) -> dict[str, list[str]]:
    """The properties of an entity type that HR keeps computing — by scalar rules, or as the
    validity's state and dates — each with the resource types that compute it. A value computed
    only at creation (a login) is the people's afterwards."""
    found = project.entity_type(entity_type)
    if found is None:
        return {}
    et = found[1]
    out: dict[str, list[str]] = {}
    for rt in project.resource_types:
        target = project.entity_type(rt.target)
        if target is None or target[1].identifier != et.identifier:
            continue
        names = [r.target for r in rt.scalars if r.when == "always"]
        if rt.validity is not None:
            names += [n for n in (rt.validity.state, rt.validity.start_property,
                                  rt.validity.end_property) if n]
        for name in names:
            prop = et.find_property(name)
            if prop is not None and not prop.is_navigation \
                    and rt.identifier not in out.get(prop.identifier, []):
                out.setdefault(prop.identifier, []).append(rt.identifier)
    return out


def reconcile(conn: sa.Connection, project: Project, orders: list[Order], now: datetime
              ) -> list[Order]:
    """The orders as they may be fulfilled, the property states brought up to date with them.
    Writes only in `conn`'s transaction, and gives the same orders when run again on the same
    repository: a dry run that is rolled back tells exactly what the real run will do."""
    states = property_states.every(conn)
    if not states:
        return orders
    now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    index = {(s.entity_type, s.resource_key, s.property): s for s in states}
    targets = {(s.entity_type, s.resource_key) for s in states}
    discarding = {rt.identifier for rt in project.resource_types if rt.discard_manual_changes}
    # An expired override hands its value back to HR, in an order or not: without its state the
    # next evaluation writes the computed value wherever it differs.
    settled = {s.id for s in states if s.expired(now)}
    proposals: list[tuple[int, str, Any]] = []
    gone: list[tuple[str, str]] = []
    out: list[Order] = []
    for order in orders:
        target = (order.target_type, order.target_key)
        if target not in targets:
            out.append(order)
            continue
        if order.kind != "modified":
            # A deleted target takes its states along (a retained one keeps them: its source
            # may come back); an added one must not meet stale ones.
            if order.retain_until is None:
                gone.append(target)
            out.append(order)
            continue
        kept: dict[str, tuple[Any, Any]] = {}
        for prop, (before, after) in order.values.items():
            state = index.get((*target, prop))
            if state is None or state.id in settled:
                kept[prop] = (before, after)
            elif order.resource_type in discarding:
                settled.add(state.id)
                kept[prop] = (before, after)
            else:
                proposal = _proposal(state, after)
                if proposal is not None:
                    proposals.append((state.id, *proposal))
        if kept or order.links or order.establishes:
            out.append(replace(order, values=kept))
    property_states.delete(conn, settled)
    property_states.propose(conn, proposals)
    property_states.delete_of_resources(conn, sorted(set(gone)))
    return out


def _proposal(state: PropertyState, computed: Any) -> tuple[str, Any] | None:
    """The (state, proposed value) a held manual value gets when HR computes `computed`; None
    when nothing changes."""
    if state.state == "protected":
        if computed == state.proposed_value:
            return None
        return "questioned", computed
    if computed == state.proposed_value:
        return None
    return state.state, computed
