"""What a date evaluation must read (SPEC §8): the next dated transition of every source — its
start, the day after its end, the effective day of a future record — kept in `policy_due` by
every policy run for the sources it evaluated, so that a daily evaluation costs what is due,
not the population. A pause is caught up: a row stays due until a run evaluates its source.

A transition is due from the first instant of its day where the source works (its time zone,
as the evaluation reads it): a daily evaluation reads no one whose day has not begun. A retention
purge is kept by day: it is due from the first instant its day has begun anywhere on Earth
(UTC+14); a source evaluated a day early gives no order, none is ever evaluated late."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Set
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import sqlalchemy as sa

from headcount.config.model import Connector, Project
from headcount.config.resource_type import ResourceType
from headcount.fulfillment.workflows import Routing
from headcount.policy.graph import Graph
from headcount.policy.validity import day_begins, zone_of
from headcount.repository.bulk import execute_many, insert_rows
from headcount.repository.property_states import aware
from headcount.repository.schema import (
    ownership,
    policy_due,
    policy_due_state,
    property_states,
    resources,
    scheduled_deletions,
)

# The zone furthest ahead of UTC (Kiribati).
_AHEAD = timedelta(hours=14)
_TODAY = re.compile(r"\btoday\s*\(")


def _fed(project: Project, connector: Connector) -> list[ResourceType]:
    # Imported here: the policy job calls this module after its orders are fulfilled.
    from headcount.policy.job import resource_types_fed_by

    names = set(resource_types_fed_by(project, connector))
    return [rt for rt in project.resource_types if rt.identifier in names]


def fingerprint(project: Project) -> str:
    """The deployed configuration the index was computed for: another one (a new validity, a
    rule) asks for everyone to be evaluated once."""
    return hashlib.sha256(project.model_dump_json().encode("utf-8")).hexdigest()[:32]


def _daily(rt: ResourceType) -> bool:
    """Whether a rule reads the clock (`today()`): then every source may change every day."""
    texts = [t for r in rt.scalars
             for t in (r.expression, r.prefix, r.suffix, *r.alternatives) if t]
    return any(_TODAY.search(t) for t in texts)


def complete(conn: sa.Connection, project: Project, connector: Connector,
             now: datetime) -> bool:
    """Whether the index can say what is due at `now`: a full evaluation of this configuration
    wrote it, and no row was computed after `now` (an evaluation back in time reads all)."""
    row = conn.execute(sa.select(policy_due_state.c.policy, policy_due_state.c.refreshed_at,
                                 policy_due_state.c.evaluated_at)
                       .where(policy_due_state.c.connector == connector.identifier)).first()
    if row is None or row.policy != fingerprint(project):
        return False
    refreshed, evaluated = aware(row.refreshed_at), aware(row.evaluated_at)
    return refreshed is not None and evaluated is not None and \
        max(refreshed, evaluated) <= now.astimezone(UTC)


def due_sources(conn: sa.Connection, project: Project, connector: Connector,
                now: datetime) -> dict[str, set[str]]:
    """Source entity type → the keys with a transition due on or before `now` and not yet
    evaluated (after a pause, every one since); the targets of a purge due are listed under
    their own entity type, so that a purge happens although its source left. Only meaningful
    when the index is `complete`."""
    rts = _fed(project, connector)
    names = [rt.identifier for rt in rts]
    horizon = (now.astimezone(UTC) + _AHEAD).date()
    out: dict[str, set[str]] = {}
    d = policy_due.c
    for source_type, key in conn.execute(sa.select(d.source_type, d.source_key).where(
            d.resource_type.in_(names), d.due_at <= _seconds(now))):
        out.setdefault(source_type, set()).add(key)
    for rt in rts:
        if _daily(rt):
            out.setdefault(rt.source, set()).update(conn.execute(sa.select(resources.c.key).where(
                resources.c.entity_type == rt.source)).scalars())
    sources = {rt.identifier: rt.source for rt in rts}
    for rt_name, target_type, target_key, source_key in _purges(conn, names, horizon):
        out.setdefault(target_type, set()).add(target_key)
        if source_key is not None:
            out.setdefault(sources[rt_name], set()).add(source_key)
    for rt_name, source_key in _expired_overrides(conn, project, connector, rts, now):
        out.setdefault(sources[rt_name], set()).add(source_key)
    return out


def _purges(conn: sa.Connection, names: list[str], horizon: date
            ) -> Iterator[tuple[str, str, str, str | None]]:
    """(resource type, target type, target, its source) of the targets kept for their retention
    whose day has come: their source is the one that still owns them (a rehire) or the one
    whose deleted order scheduled them (gone)."""
    s, o = scheduled_deletions.c, ownership.c
    due = sa.and_(s.resource_type.in_(names), s.delete_on <= horizon)
    yield from conn.execute(sa.select(s.resource_type, s.entity_type, s.resource_key,
                                      o.source_key)
                            .select_from(scheduled_deletions.outerjoin(ownership, sa.and_(
                                o.resource_type == s.resource_type,
                                o.target_key == s.resource_key)))
                            .where(due)).all()
    yield from scheduled_by(conn, names, horizon)


def scheduled_by(conn: sa.Connection, names: list[str] | None = None,
                 horizon: date | None = None) -> list[tuple[str, str, str, str]]:
    """(resource type, target type, target, source) of the targets kept for their retention,
    with the source whose deleted order scheduled them, in the orders' order; only those of the
    resource types `names` due by `horizon` when given."""
    # The few schedules first, each probing its target's orders: SQLite otherwise walked every
    # order with a source (two million at 1,000,000 people) against the schedules (`+` keeps it
    # off the index of the run's orders, which an initial load fills).
    sql = ("SELECT s.resource_type, s.entity_type, s.resource_key, p.source_key "
           "FROM scheduled_deletions s CROSS JOIN provisioning_orders p "
           "WHERE +p.run_id = s.run_id AND p.resource_type = s.resource_type "
           "AND p.target_key = s.resource_key AND p.kind = 'deleted'")
    params: dict[str, object] = {}
    binds = []
    if names is not None and horizon is not None:
        sql += " AND s.resource_type IN :names AND s.delete_on <= :horizon"
        params = {"names": names, "horizon": horizon}
        binds = [sa.bindparam("names", expanding=True), sa.bindparam("horizon", type_=sa.Date)]
    rows = conn.execute(sa.text(sql + " ORDER BY p.id").bindparams(*binds), params).all()
    return [(rt, et, key, source) for rt, et, key, source in rows if source is not None]


def _expired_overrides(conn: sa.Connection, project: Project, connector: Connector,
                       rts: list[ResourceType], now: datetime) -> Iterator[tuple[str, str]]:
    """(resource type, source) owning a target whose override expired since the last date
    evaluation: HR's value wins again (SPEC §6.4)."""
    since = aware(conn.execute(sa.select(policy_due_state.c.evaluated_at).where(
        policy_due_state.c.connector == connector.identifier)).scalar())
    ps, o = property_states.c, ownership.c
    for rt in rts:
        found = project.entity_type(rt.target)
        if found is None:
            continue
        expiring = sa.and_(ps.state == "override", ps.entity_type == found[1].identifier,
                           ps.expires_at <= now.astimezone(UTC))
        if since is not None:
            expiring = sa.and_(expiring, ps.expires_at > since)
        yield from conn.execute(sa.select(o.resource_type, o.source_key).join(
            property_states, sa.and_(o.target_key == ps.resource_key, expiring))
            .where(o.resource_type == rt.identifier)).all()


def refresh(conn: sa.Connection, project: Project, connector: Connector, graph: Graph,
            now: datetime, scope: Mapping[str, Set[str]] | None, routing: Routing) -> None:
    """Recompute the next transition of the sources a policy run evaluated at `now` (`scope`:
    entity type → keys; None: every source, which makes the index complete). The sources
    whose orders wait for a person (a workflow it started or one running already) stay due:
    what their day changed is done once the workflow ends, by a later evaluation."""
    instant = now.astimezone(UTC)
    waiting = [o for p in routing.workflows for o in p.orders] + \
        [o for h in routing.held for o in h.planned.orders]
    for rt in _fed(project, connector):
        keys = None if scope is None else scope.get(rt.source, frozenset())
        if keys is not None and not keys:
            continue
        if rt.validity is not None and any("." in b for b in (
                rt.validity.start, rt.validity.end, rt.validity.effective) if b):
            # A date read through a link (a contract's) moves when the linked resource
            # changes, which the scope does not name: the whole resource type is recomputed.
            keys = None
        # A neighbour of the scope (evaluated too) may be among them.
        held = sorted({o.source_key for o in waiting if o.resource_type == rt.identifier
                       and o.source_key is not None})
        frame = _transitions(graph, rt, keys, instant) if rt.validity is not None else None
        if frame is not None and held:
            frame = frame.filter(~pl.col("source_key").is_in(held)).vstack(pl.DataFrame(
                {"resource_type": rt.identifier, "source_type": rt.source,
                 "source_key": held, "due_at": _seconds(instant)}, schema=frame.schema))
        if keys is None:
            conn.execute(sa.delete(policy_due).where(policy_due.c.resource_type
                                                     == rt.identifier))
            if frame is not None and frame.height:
                insert_rows(conn, "policy_due", _COLUMNS, frame.iter_rows())
            continue
        staying = set() if frame is None else set(frame["source_key"].to_list())
        execute_many(conn, "DELETE FROM policy_due WHERE resource_type = ? AND source_key = ?",
                     ((rt.identifier, k) for k in sorted((set(keys) | set(held)) - staying)))
        if frame is not None and frame.height:
            _upsert(conn, frame.sort("source_key"))
    _mark(conn, project, connector, instant, scope is None)


_COLUMNS = ("resource_type", "source_type", "source_key", "due_at")


def _upsert(conn: sa.Connection, frame: pl.DataFrame) -> None:
    """The sources' next transitions, written in place: only a row whose day moved is written
    (a delete and an insert wrote each row's page and both its index entries anew)."""
    execute_many(conn, "INSERT INTO policy_due (resource_type, source_type, source_key, due_at) "
                       "VALUES (?, ?, ?, ?) ON CONFLICT (resource_type, source_key) DO UPDATE "
                       "SET source_type = excluded.source_type, due_at = excluded.due_at "
                       "WHERE policy_due.due_at <> excluded.due_at "
                       "OR policy_due.source_type <> excluded.source_type",
                 frame.select(_COLUMNS).iter_rows())


def _transitions(graph: Graph, rt: ResourceType, keys: Set[str] | None, instant: datetime
                 ) -> pl.DataFrame:
    """(resource type, source type, source key, when its next transition is due) of the
    sources of `rt` in `keys` (None: all) that have one after `instant`, where each works."""
    validity = rt.validity
    assert validity is not None
    bindings = {"start": validity.start, "end": validity.end, "effective": validity.effective,
                "zone": validity.timezone}
    columns: dict[str, list[str | None]] = {"key": [], **{name: [] for name in bindings}}
    for node in graph.of_type(rt.source):
        if keys is not None and node.key not in keys:
            continue
        columns["key"].append(node.key)
        for name, binding in bindings.items():
            columns[name].append(_text(graph.value(node, binding)) if binding else None)
    frame = pl.DataFrame(columns, schema={name: pl.String for name in columns})

    # The few zones, each read once in Python: which day it is there, and when a day begins.
    zones = {z: zone_of(z, validity.default_timezone)
             for z in frame["zone"].unique().to_list()}
    today = pl.DataFrame({"zone": list(zones), "today": [instant.astimezone(tz).date()
                                                         for tz in zones.values()]},
                         schema={"zone": pl.String, "today": pl.Date})

    def day(name: str) -> pl.Expr:
        text = pl.col(name).str.slice(0, 10)
        return pl.coalesce(text.str.to_date("%Y-%m-%d", strict=False),
                           text.str.to_date("%Y%m%d", strict=False))

    # Pre-hire → active on the first day, left the day after the last, and a future record
    # takes over on its effective day: the first of those days still ahead where it works.
    candidates = [day("start"), day("end") + pl.duration(days=1), day("effective")]
    due = pl.min_horizontal([pl.when(c > pl.col("today")).then(c) for c in candidates])
    found = (frame.join(today, on="zone", how="left", nulls_equal=True)
             .select("key", "zone", due.alias("day")).filter(pl.col("day").is_not_null()))
    pairs = found.select("zone", "day").unique()
    begins = pairs.with_columns(pl.Series("due_at", [
        _seconds(day_begins(d, zones[z])) for z, d in pairs.iter_rows()], dtype=pl.Int64))
    return (found.join(begins, on=["zone", "day"], how="left", nulls_equal=True)
            .select(pl.lit(rt.identifier).alias("resource_type"),
                    pl.lit(rt.source).alias("source_type"),
                    pl.col("key").alias("source_key"), "due_at"))


def _seconds(instant: datetime) -> int:
    return int(instant.timestamp())


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _mark(conn: sa.Connection, project: Project, connector: Connector, instant: datetime,
          full: bool) -> None:
    """A full evaluation makes the index complete; a partial one moves its instant on."""
    s = policy_due_state.c
    found = conn.execute(sa.select(s.refreshed_at).where(s.connector == connector.identifier)
                         ).scalar()
    if full:
        conn.execute(sa.delete(policy_due_state).where(s.connector == connector.identifier))
        conn.execute(sa.insert(policy_due_state).values(
            connector=connector.identifier, policy=fingerprint(project), refreshed_at=instant,
            evaluated_at=instant))
    elif found is not None and aware(found) is not None and instant > (aware(found) or instant):
        conn.execute(sa.update(policy_due_state).where(s.connector == connector.identifier)
                     .values(refreshed_at=instant))


def evaluated(conn: sa.Connection, connector: Connector, now: datetime) -> None:
    """A date evaluation did everything due up to `now`: overrides expiring before it are
    done."""
    conn.execute(sa.update(policy_due_state)
                 .where(policy_due_state.c.connector == connector.identifier)
                 .values(evaluated_at=now.astimezone(UTC)))
