"""Targets whose source left (SPEC §5, §8): deleted at once, or — with `retention_days` — kept,
marked left, and deleted by the first evaluation on or after their day, unless their source came
back first. A person's dated records go with them."""

from __future__ import annotations

from collections.abc import Mapping, Set
from datetime import date, datetime, timedelta
from typing import Any

from headcount.config.resource_type import ResourceType
from headcount.policy.graph import Node
from headcount.policy.orders import Order
from headcount.policy.records import RecordIndex
from headcount.policy.validity import LEFT, as_date, day_before, local_today


def _today(rt: ResourceType, now: datetime) -> date:
    """The day, read where retention is scheduled: the resource type's default time zone."""
    return local_today(now, None, rt.validity.default_timezone if rt.validity else "UTC")


def removed(rt: ResourceType, owned: Mapping[str, str], targets: Mapping[str, Node],
            kept: set[str], only: Set[str] | None, scheduled: Mapping[str, date],
            records: RecordIndex | None, now: datetime) -> list[Order]:
    """Targets whose source is gone: deleted, or with a retention, kept as left until then.
    Dated records go with the person's earlier records (`E8`, `E8-20261215`)."""
    gone: list[tuple[str | None, str]] = []
    for source_key, target_key in sorted(owned.items()):
        if target_key not in targets or target_key in kept:
            continue
        if only is not None and source_key not in only:
            continue  # an incremental run evaluated no change of this source
        gone.append((source_key, target_key))
    owners = set(owned.values())
    listed = {t for _, t in gone}
    if records is not None:
        for _, target_key in list(gone):
            for sibling in records.siblings(target_key):
                if sibling not in owners and sibling not in kept and sibling not in listed \
                        and sibling not in scheduled:
                    gone.append((None, sibling))
                    listed.add(sibling)
    if rt.remove_orphans and only is None:
        # Targets no source owns — keyed in by hand, or left by an earlier configuration; a
        # person's earlier records are theirs, not orphans.
        owned_bases = {records.base(t) for t in owners} if records is not None else set()
        for key in sorted(targets):
            if key in kept or key in listed or key in scheduled or key in owners:
                continue
            if records is not None and records.base(key) in owned_bases:
                continue
            gone.append((None, key))
    return [_gone(rt, targets[target_key], source_key, now)
            for source_key, target_key in gone]


def _gone(rt: ResourceType, target: Node, source_key: str | None, now: datetime) -> Order:
    if not rt.retention_days:
        return Order(rt.identifier, "deleted", target.entity_type, target.key, source_key,
                     {k: (v, None) for k, v in target.values.items()})
    validity = rt.validity
    today = _today(rt, now)
    values: dict[str, tuple[Any, Any]] = {}
    if validity is not None and validity.state and target.values.get(validity.state) != LEFT:
        values[validity.state] = (target.values.get(validity.state), LEFT)
    if validity is not None and validity.end_property:
        end = as_date(target.values.get(validity.end_property))
        if end is None or end >= today:
            values[validity.end_property] = (target.values.get(validity.end_property),
                                             day_before(today).isoformat())
    order = Order(rt.identifier, "deleted", target.entity_type, target.key, source_key, values)
    order.retain_until = today + timedelta(days=rt.retention_days)
    return order


def purged(rt: ResourceType, targets: Mapping[str, Node], kept: set[str],
           owners: Mapping[str, str], scheduled: Mapping[str, date], now: datetime
           ) -> list[Order]:
    """Targets kept for their retention, deleted once it is over — unless their source came
    back in the meantime (a rehire)."""
    orders = []
    today = _today(rt, now)
    for target_key, delete_on in sorted(scheduled.items()):
        if delete_on > today or target_key in kept or target_key in owners:
            continue  # (the day first: a scoped evaluation has not read the others)
        target = targets.get(target_key)
        if target is not None:
            orders.append(Order(rt.identifier, "deleted", target.entity_type, target_key, None,
                                {k: (v, None) for k, v in target.values.items()}))
    return orders
