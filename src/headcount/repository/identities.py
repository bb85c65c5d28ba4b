"""An identity as a person reads it (SPEC §5, §8): its state (pre-hire, active, left) with its
start and end dates, its records (`Records`, the flip side of `Directory_UserRecord.User`) with
their validity against today — current, future or past — and main values, and the provisioning
orders that concerned it and its records. Four queries, whatever the number of records."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from headcount.config.model import EntityType, Project
from headcount.errors import NotFound
from headcount.policy.validity import as_date
from headcount.repository.schema import links, ownership, provisioning_orders, resources, runs

# The workforce template's names (SPEC §5).
IDENTITY = "Directory_User"
RECORDS = "Records"
MAIN_VALUES = ("Organization", "Title", "Manager", "Site", "Email", "Login")
ORDERS_SHOWN = 100
Validity = Literal["current", "future", "past"]


@dataclass(frozen=True)
class Linked:
    entity_type: str
    key: str
    display_name: str
    exists: bool


@dataclass
class Record:
    id: int
    entity_type: str
    key: str
    display_name: str
    values: dict[str, Any]
    start: date | None
    end: date | None
    validity: Validity
    links: dict[str, list[Linked]] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderLine:
    id: int
    run_id: int
    run_mode: str
    run_state: str
    at: datetime | None
    resource_type: str
    kind: str
    source_key: str | None
    target_key: str
    changes: dict[str, Any]


@dataclass
class Identity:
    id: int
    key: str
    display_name: str
    values: dict[str, Any]
    state: str | None
    start: date | None
    end: date | None
    records: list[Record]
    orders: list[OrderLine]
    more_orders: bool


def validity(start: date | None, end: date | None, today: date) -> Validity:
    """End dates are inclusive: a record ending today is still current."""
    if start is not None and today < start:
        return "future"
    if end is not None and today > end:
        return "past"
    return "current"


def _today(now: datetime, zone: Any) -> date:
    # A record is current by the calendar of its site (SPEC §8), UTC when it has none.
    try:
        tz = ZoneInfo(str(zone)) if zone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        tz = UTC
    return now.astimezone(tz).date()


def identity(conn: sa.Connection, project: Project, key: str, now: datetime | None = None,
             on: date | None = None) -> Identity:
    """The identity `key` (its Identifier); records are dated against `on` when given, else
    against the day `now` (default: the clock) is at their site."""
    found = project.entity_type(IDENTITY)
    if found is None:
        raise NotFound(f"no entity type `{IDENTITY}`: the workforce template is not deployed")
    user_et = found[1]
    row = conn.execute(sa.select(resources.c.id, resources.c.data).where(
        resources.c.entity_type == user_et.identifier, resources.c.key == key)).first()
    if row is None:
        raise NotFound(f"no identity (Directory_User) with Identifier `{key}`")
    user_id, values = int(row[0]), json.loads(row[1])
    now = now or datetime.now(UTC)
    record_types = _record_navigations(project, user_et)
    record_rows = conn.execute(
        sa.select(resources.c.id, resources.c.entity_type, resources.c.key, resources.c.data)
        .join(links, links.c.source_id == resources.c.id)
        .where(links.c.target_id == user_id, links.c.navigation.in_(sorted(record_types)))
    ).all() if record_types else []
    linked = _links(conn, [int(r[0]) for r in record_rows], {r[1] for r in record_rows})
    records = []
    for rid, et_name, rkey, data in record_rows:
        rvalues = json.loads(data)
        et = _entity_type(project, et_name)
        start, end = as_date(rvalues.get("StartDate")), as_date(rvalues.get("EndDate"))
        rlinks = {nav: [_linked(project, t) for t in targets]
                  for nav, targets in linked.get(int(rid), {}).items()}
        zone = next((t[3].get("TimeZone") for t in linked.get(int(rid), {}).get("Site", [])
                     if t[3]), None)
        day = on or _today(now, zone)
        shown = (et.display(rvalues).strip() if et else "") or rkey
        records.append(Record(int(rid), et_name, rkey, shown, rvalues, start, end,
                              validity(start, end, day), rlinks))
    records.sort(key=lambda r: (r.start or date.min, r.key))
    orders, more = _orders(conn, project, user_et.identifier, key,
                           {r.entity_type for r in records}, [r.key for r in records])
    return Identity(user_id, key, user_et.display(values).strip() or key, values,
                    values.get("State"), as_date(values.get("StartDate")),
                    as_date(values.get("EndDate")), records, orders, more)


def _entity_type(project: Project, name: str) -> EntityType | None:
    found = project.entity_type(name)
    return found[1] if found else None


def _record_navigations(project: Project, user_et: EntityType) -> set[str]:
    """`Directory_UserRecord.User`: the navigations whose flip side on the identity is
    `Records`."""
    return {f"{et.identifier}.{p.identifier}" for c in project.connectors
            for et in c.entity_types for p in et.properties
            if p.is_navigation and (p.target or "").lower() == user_et.identifier.lower()
            and (p.flip or "").lower() == RECORDS.lower()}


LinkRow = tuple[str, str, bool, dict[str, Any]]  # entity type, key, exists, its values


def _links(conn: sa.Connection, record_ids: list[int], record_types: set[str]
           ) -> dict[int, dict[str, list[LinkRow]]]:
    out: dict[int, dict[str, list[LinkRow]]] = {}
    navigations = sorted(f"{et}.{name}" for et in record_types for name in MAIN_VALUES)
    if not record_ids:
        return out
    target = resources.alias("t")
    for source_id, nav, ttype, tkey, tid, tdata in conn.execute(
            sa.select(links.c.source_id, links.c.navigation, links.c.target_type,
                      links.c.target_key, links.c.target_id, target.c.data)
            .outerjoin(target, target.c.id == links.c.target_id)
            .where(links.c.source_id.in_(record_ids),
                   links.c.navigation.in_(navigations))
            .order_by(links.c.target_key)):
        out.setdefault(int(source_id), {}).setdefault(nav.partition(".")[2], []).append(
            (ttype, tkey, tid is not None, json.loads(tdata) if tdata else {}))
    return out


def _linked(project: Project, row: LinkRow) -> Linked:
    ttype, tkey, exists, tvalues = row
    et = _entity_type(project, ttype)
    return Linked(ttype, tkey, (et.display(tvalues).strip() if et else "") or tkey, exists)


def _orders(conn: sa.Connection, project: Project, user_type: str, key: str,
            record_types: set[str], record_keys: list[str]) -> tuple[list[OrderLine], bool]:
    """The orders of the identity and of its records, newest first; also those of records it
    no longer has, found through the source that owns the identity."""
    user_rts = [rt.identifier for rt in project.resource_types
                if rt.target.lower() == user_type.lower() and not rt.owner]
    record_rts = [rt.identifier for rt in project.resource_types
                  if rt.target.lower() in {t.lower() for t in record_types}
                  or (rt.source.lower() in _sources(project, user_rts)
                      and rt.identifier not in user_rts)]
    owners = sa.select(ownership.c.source_key).where(ownership.c.resource_type.in_(user_rts),
                                                     ownership.c.target_key == key)
    where = [sa.and_(provisioning_orders.c.resource_type.in_(user_rts),
                     provisioning_orders.c.target_key == key),
             sa.and_(provisioning_orders.c.resource_type.in_(user_rts + record_rts),
                     provisioning_orders.c.source_key.in_(owners.scalar_subquery()))]
    if record_keys:
        where.append(sa.and_(provisioning_orders.c.resource_type.in_(record_rts),
                             provisioning_orders.c.target_key.in_(record_keys)))
    rows = conn.execute(
        sa.select(provisioning_orders.c.id, provisioning_orders.c.run_id, runs.c.mode,
                  runs.c.state, runs.c.finished_at, provisioning_orders.c.resource_type,
                  provisioning_orders.c.kind, provisioning_orders.c.source_key,
                  provisioning_orders.c.target_key, provisioning_orders.c.changes)
        .join(runs, runs.c.id == provisioning_orders.c.run_id)
        .where(sa.or_(*where), runs.c.dry_run.is_(False))
        .order_by(provisioning_orders.c.id.desc()).limit(ORDERS_SHOWN + 1)).all()
    lines = [OrderLine(int(i), int(r), m, s, at, rt, k, sk, tk, json.loads(ch))
             for i, r, m, s, at, rt, k, sk, tk, ch in rows]
    return lines[:ORDERS_SHOWN], len(lines) > ORDERS_SHOWN


def _sources(project: Project, resource_types: list[str]) -> set[str]:
    return {rt.source.lower() for rt in project.resource_types
            if rt.identifier in resource_types}
