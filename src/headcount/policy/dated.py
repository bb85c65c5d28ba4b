"""Dated records and validity (SPEC §8): the values a target's validity gives, when a source's
move opens a new record or a rehire does, when HR cancels a future record, and where a
re-keyed person's old record ends — the dated part of a resource type's evaluation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from headcount.config.resource_type import Validity
from headcount.policy.graph import Node
from headcount.policy.orders import Order
from headcount.policy.records import RecordIndex
from headcount.policy.validity import as_date, day_before, state_on


@dataclass
class Decision:
    """What the first pass decided for one source."""

    node: Node
    target_key: str | None
    expected: dict[str, Any]
    today: date  # the day where the source is (its time zone)
    start: date | None = None
    end: date | None = None
    effective: date | None = None
    issued: dict[str, str] = field(default_factory=dict)  # unique property → its core
    reclaimed: list[str] = field(default_factory=list)  # records back from the schedule
    replaces: str | None = None  # the source key a re-key replaces


def end_before_successor(validity: Validity, gone: list[Order], orders: list[Order]) -> None:
    """A re-keyed person's old record ends the day before their new record starts — also when
    the new one started before the run (a conversion filed late), not only the day before
    the run."""
    assert validity.start_property is not None
    assert validity.end_property is not None
    starts: dict[str, date] = {}
    for order in orders:
        first = as_date(order.values.get(validity.start_property, (None, None))[1]) \
            if order.kind == "added" and order.replaces is not None else None
        if first is not None and order.replaces is not None:
            starts[order.replaces] = min(first, starts.get(order.replaces, first))
    for order in gone:
        successor = starts.get(order.source_key or "")
        if successor is None:
            continue
        before, after = order.values.get(validity.end_property, (None, None))
        end = as_date(after if validity.end_property in order.values else before)
        last = day_before(successor)
        if end is None or end > last:
            current = before if validity.end_property in order.values else end
            order.values[validity.end_property] = (
                current.isoformat() if isinstance(current, date) else current, last.isoformat())


def latest_of(source_key: str, owned: Mapping[str, str], former: Mapping[str, str],
               targets: Mapping[str, Node], records: RecordIndex | None,
               start_property: str | None) -> dict[str, Any]:
    """The values of the latest target a source owns, or owned until it left: what a person
    re-keyed under a new source carries over."""
    found = [owned[source_key]] if owned.get(source_key) in targets else \
        sorted(t for t, s in former.items() if s == source_key and t in targets)
    if not found:
        return {}
    latest = records.latest(found[0], start_property) if records is not None else found[0]
    return dict(targets[latest].values)


def dated_values(validity: Validity, d: Decision, expected: dict[str, Any], creating: bool) -> None:
    """The validity values of a target: its state on the source's day, its last day, and (when
    created) its first day — a record's first day is the later of contract and position."""
    if validity.state:
        expected[validity.state] = state_on(d.start, d.end, d.today)
    if validity.end_property:
        expected[validity.end_property] = d.end.isoformat() if d.end else None
    if validity.start_property and (creating or not validity.effective):
        first = max((x for x in (d.start, d.effective) if x is not None), default=None)
        expected[validity.start_property] = first.isoformat() if first else None


def opens_record(validity: Validity, d: Decision, target: Node, changed: dict[str, Any],
                  changed_links: dict[str, Any]) -> date | None:
    """The first day of a new record for this source, or None to change the current one."""
    current_start = as_date(target.values.get(validity.start_property)) \
        if validity.start_property else None
    current_end = as_date(target.values.get(validity.end_property)) \
        if validity.end_property else None
    if d.start is not None and current_end is not None and d.start > current_end:
        # A rehire: the contract starts after the record ended. Its record's first day is the
        # later of contract and position, as any record's (`dated_values`).
        return max(d.start, d.effective) if d.effective is not None else d.start
    effective = d.effective
    if current_start is not None and current_start > d.today and (
            effective is None or d.start is None or effective <= d.start):
        # A pre-hire's record that has not begun follows its source, whole, when the move
        # comes no later than the contract's first day; a move after it opens its own record.
        return None
    dates = {validity.start_property, validity.end_property, validity.state}
    moved = [k for k in changed if k not in dates] or changed_links
    if (effective is not None and effective > d.today and moved
            and (current_start is None or effective > current_start)):
        # A record begins with its contract: the first day the next run asks for too.
        return max(effective, d.start) if d.start is not None else effective
    return None


def cancelled_record(validity: Validity, d: Decision, owned: Node,
                      records: RecordIndex) -> Node | None:
    """The record an owned future record was to replace, when the source no longer asks for
    that record: its effective day changed, or went. None otherwise (a pre-hire's first record
    starts in the future too, and replaces nothing)."""
    if not validity.start_property or not validity.end_property:
        return None
    first = as_date(owned.values.get(validity.start_property))
    if first is None or first <= d.today:
        return None
    asked = max((x for x in (d.start, d.effective) if x is not None), default=None)
    if asked == first:
        return None
    last = day_before(first).isoformat()
    for key in records.siblings(owned.key):
        node = records.targets[key]
        if key != owned.key and node.values.get(validity.end_property) == last:
            return node
    return None
