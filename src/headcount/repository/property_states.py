"""Property states (SPEC §6.4): the computed properties of targets that a person changed by hand,
with the value HR proposes meanwhile and what was decided about them. Values are kept as JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import sqlalchemy as sa

from headcount.repository.bulk import create_temp_table, drop_temp_table, insert_rows
from headcount.repository.schema import property_states

State = Literal["unreconciled", "postponed", "protected", "questioned", "override"]
STATES: tuple[State, ...] = ("unreconciled", "questioned", "postponed", "protected", "override")
# What the Resource Reconciliation page shows first: the values waiting for a decision.
OPEN: tuple[State, ...] = ("unreconciled", "questioned")


@dataclass
class PropertyState:
    id: int
    entity_type: str
    resource_key: str
    property: str
    resource_type: str | None
    state: str
    manual_value: Any
    proposed_value: Any
    reason: str | None
    expires_at: datetime | None
    changed_by: str | None
    changed_at: datetime
    decided_by: str | None
    decided_at: datetime | None

    @classmethod
    def from_row(cls, row: sa.Row[Any]) -> PropertyState:
        m = row._mapping
        return cls(
            id=int(m["id"]), entity_type=m["entity_type"], resource_key=m["resource_key"],
            property=m["property"], resource_type=m["resource_type"], state=m["state"],
            manual_value=decode(m["manual_value"]), proposed_value=decode(m["proposed_value"]),
            reason=m["reason"], expires_at=aware(m["expires_at"]), changed_by=m["changed_by"],
            changed_at=_aware(m["changed_at"]), decided_by=m["decided_by"],
            decided_at=aware(m["decided_at"]))

    def expired(self, now: datetime) -> bool:
        return self.state == "override" and self.expires_at is not None \
            and self.expires_at <= now


def encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def decode(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _aware(value: datetime) -> datetime:
    # SQLite gives back naive datetimes: they were written in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def aware(value: datetime | None) -> datetime | None:
    return None if value is None else _aware(value)


@dataclass(frozen=True)
class Filters:
    """What the Resource Reconciliation page is filtered on; None: any."""

    states: Sequence[str] | None = None
    entity_type: str | None = None
    resource_type: str | None = None

    def where(self) -> list[sa.ColumnElement[bool]]:
        out: list[sa.ColumnElement[bool]] = []
        if self.states is not None:
            out.append(property_states.c.state.in_(list(self.states)))
        if self.entity_type is not None:
            out.append(property_states.c.entity_type == self.entity_type)
        if self.resource_type is not None:
            out.append(property_states.c.resource_type == self.resource_type)
        return out


def search(conn: sa.Connection, filters: Filters, limit: int = 50, offset: int = 0
           ) -> tuple[int, list[PropertyState]]:
    """How many states match, and one page of them, oldest change first."""
    where = filters.where()
    total = conn.execute(sa.select(sa.func.count()).select_from(property_states)
                         .where(*where)).scalar_one()
    rows = conn.execute(sa.select(property_states).where(*where)
                        .order_by(property_states.c.changed_at, property_states.c.id)
                        .limit(limit).offset(offset)).all()
    return int(total), [PropertyState.from_row(r) for r in rows]


def by_ids(conn: sa.Connection, ids: Iterable[int]) -> list[PropertyState]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    rows = conn.execute(sa.select(property_states).where(property_states.c.id.in_(wanted))
                        .order_by(property_states.c.id)).all()
    return [PropertyState.from_row(r) for r in rows]


def of_resource(conn: sa.Connection, entity_type: str, key: str) -> dict[str, PropertyState]:
    """property → its state, for one resource."""
    rows = conn.execute(sa.select(property_states).where(
        property_states.c.entity_type == entity_type, property_states.c.resource_key == key))
    return {s.property: s for s in map(PropertyState.from_row, rows)}


def every(conn: sa.Connection) -> list[PropertyState]:
    """All states: a policy run meets them with its orders. People change few values by hand,
    so they are read whole rather than joined to a million orders."""
    return [PropertyState.from_row(r) for r in conn.execute(sa.select(property_states))]


def create(conn: sa.Connection, entity_type: str, key: str, prop: str,
           resource_type: str | None, state: State, manual_value: Any, proposed_value: Any,
           reason: str | None, expires_at: datetime | None, changed_by: str,
           changed_at: datetime) -> None:
    conn.execute(sa.insert(property_states).values(
        entity_type=entity_type, resource_key=key, property=prop, resource_type=resource_type,
        state=state, manual_value=encode(manual_value), proposed_value=encode(proposed_value),
        reason=reason, expires_at=expires_at, changed_by=changed_by, changed_at=changed_at,
        decided_by=None, decided_at=None))


def update(conn: sa.Connection, state_id: int, **values: Any) -> None:
    """Change some columns of a state; `manual_value` and `proposed_value` are given decoded."""
    for name in ("manual_value", "proposed_value"):
        if name in values:
            values[name] = encode(values[name])
    conn.execute(sa.update(property_states).where(property_states.c.id == state_id)
                 .values(**values))


def propose(conn: sa.Connection, proposals: Sequence[tuple[int, str, Any]]) -> None:
    """Set (state, proposed value) of many states at once: (id, state, proposed value)."""
    if not proposals:
        return
    conn.execute(sa.update(property_states).where(
        property_states.c.id == sa.bindparam("state_id")).values(
        state=sa.bindparam("new_state"), proposed_value=sa.bindparam("proposed")),
        [{"state_id": i, "new_state": s, "proposed": encode(v)} for i, s, v in proposals])


def delete(conn: sa.Connection, ids: Iterable[int]) -> None:
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), 10_000):
        conn.execute(sa.delete(property_states).where(
            property_states.c.id.in_(wanted[start:start + 10_000])))


def delete_of_resources(conn: sa.Connection, keys: Sequence[tuple[str, str]]) -> None:
    """Forget the states of these (entity type, key): the resources are gone (or new)."""
    if not keys:
        return
    create_temp_table(conn, "hc_gone", [("et", "TEXT"), ("key", "TEXT")])
    insert_rows(conn, "hc_gone", ["et", "key"], keys)
    conn.exec_driver_sql(
        "DELETE FROM property_states WHERE EXISTS (SELECT 1 FROM hc_gone g "
        "WHERE g.et = property_states.entity_type AND g.key = property_states.resource_key)")
    drop_temp_table(conn, "hc_gone")
