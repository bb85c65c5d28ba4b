"""Fulfill directly (SPEC §7.1): orders become changes of the Directory resources, applied in the
run's transaction with the same machinery as a synchronization; their history names the resource
type (the rule) that decided each value."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

import orjson
import polars as pl
import sqlalchemy as sa

from headcount.config.model import Project
from headcount.policy.graph import Graph
from headcount.policy.orders import Order
from headcount.policy.population import any_of, fetch_rows, numbered_range
from headcount.repository.apply import apply_and_record
from headcount.repository.bulk import create_temp_table, drop_temp_table, insert_rows, raw_rows
from headcount.repository.naming import Naming
from headcount.repository.schema import ownership, scheduled_deletions, used_values
from headcount.sync.changes import LINK_SCHEMA, RESOURCE_SCHEMA, ChangeSet
from headcount.sync.prepare import text_hashes


def change_set(project: Project, graph: Graph, orders: list[Order]) -> ChangeSet:
    # The rows as columns (a list each, not a dict per row): kind, entity type, key, data,
    # after, connection (the resource type) of each resource change.
    kinds: list[str] = []
    types: list[str] = []
    keys: list[str] = []
    datas: list[str | None] = []
    afters: list[str | None] = []
    rts: list[str] = []
    links = _Links()
    # The links of each resource, once, for the deleted ones (not a scan per deletion).
    outgoing: dict[int, list[tuple[str, list[tuple[str, int | None]]]]] = {}
    # (type, key) → the row of its update, with its changes and values after
    updated: dict[tuple[str, str], tuple[int, dict[str, Any], dict[str, Any]]] = {}
    if any(o.kind == "deleted" for o in orders):
        for (source, nav), targets in graph.targets.items():
            outgoing.setdefault(source, []).append((nav, targets))
    properties: dict[str, list[str]] = {}

    def row(order: Order, kind: str, data: str | None, after: str | None = None) -> int:
        kinds.append(kind)
        types.append(order.target_type)
        keys.append(order.target_key)
        datas.append(data)
        afters.append(after)
        rts.append(order.resource_type)
        return len(kinds) - 1

    for order in orders:
        names = properties.get(order.target_type)
        if names is None:
            found = project.entity_type(order.target_type)
            assert found is not None
            names = properties[order.target_type] = [
                p.identifier for p in found[1].scalar_properties]
        node_id = graph.by_key.get((order.target_type, order.target_key))
        current = graph.nodes[node_id].values if node_id is not None else {}
        if order.kind == "added":
            values = order.values
            row(order, "insert", json_text({n: values[n][1] if n in values else None
                                        for n in names}))
        elif order.kind == "modified":
            key = (order.target_type, order.target_key)
            if key in updated:
                # The same target changed twice in one fulfillment (a change split between a
                # workflow and direct fulfillment): one change, or the second undoes the first.
                i, data, after = updated[key]
                data.update({k: [b, a] for k, (b, a) in order.values.items()})
                after.update({k: v for k, (_, v) in order.values.items()})
                kinds[i] = "update" if data else "rehash"
                datas[i], afters[i] = json_text(data), json_text(after)
            else:
                data = {k: [b, a] for k, (b, a) in order.values.items()}
                after = {n: current.get(n) for n in names} | {k: v for k, (_, v) in
                                                              order.values.items()}
                i = row(order, "update" if order.values else "rehash", json_text(data),
                        json_text(after))
                updated[key] = (i, data, after)
        elif order.retain_until is not None:
            # Kept for its retention: only its validity changes (marked left) for now.
            if order.values:
                after = {n: current.get(n) for n in names} | {k: v for k, (_, v) in
                                                              order.values.items()}
                row(order, "update", json_text({k: [b, a] for k, (b, a) in order.values.items()}),
                    json_text(after))
        else:
            row(order, "delete", json_text(current))
            if node_id is not None:
                for nav, targets in outgoing.get(node_id, []):
                    links.add(order, "link_delete", nav, [t for t, _ in targets], "")
        for nav, (before, after_keys) in order.links.items():
            target_type = order.link_types.get(nav, "")
            links.add(order, "link_insert", nav, [k for k in after_keys if k not in before],
                      target_type)
            links.add(order, "link_delete", nav, [k for k in before if k not in after_keys],
                      target_type)
    frame = pl.DataFrame({"kind": kinds, "entity_type": types, "key": keys, "data": datas,
                          "after": afters, "connection": rts, "line": None},
                         schema={k: v for k, v in RESOURCE_SCHEMA.items() if k != "hash"})
    whole = pl.when(pl.col("kind") == "update").then(pl.col("after")).otherwise(pl.col("data"))
    hashes = text_hashes(frame.select(whole.alias("t")).to_series()) if frame.height \
        else pl.Series("hash", [], dtype=pl.Int64)
    frame = frame.with_columns(hashes.alias("hash")).select(list(RESOURCE_SCHEMA))
    return ChangeSet(frame, links.frame())


class _Links:
    """Link changes as columns; a target's type and the resource type repeat, set once."""

    def __init__(self) -> None:
        self.kinds: list[str] = []
        self.orders: list[Order] = []
        self.navigations: list[str] = []
        self.target_types: list[str] = []
        self.target_keys: list[str] = []

    def add(self, order: Order, kind: str, nav: str, targets: list[str], target_type: str
            ) -> None:
        n = len(targets)
        if n:
            self.kinds += [kind] * n
            self.orders += [order] * n
            self.navigations += [f"{order.target_type}.{nav}"] * n
            self.target_types += [target_type] * n
            self.target_keys += targets

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame({
            "kind": self.kinds, "entity_type": [o.target_type for o in self.orders],
            "key": [o.target_key for o in self.orders], "navigation": self.navigations,
            "target_type": self.target_types, "target_key": self.target_keys,
            "connection": [o.resource_type for o in self.orders], "line": None},
            schema=LINK_SCHEMA)


def json_text(values: dict[str, Any]) -> str:
    """Compact JSON, the text json.dumps(separators=(",", ":"), ensure_ascii=False) gives
    (tests/fulfillment/test_json_text.py): orjson writes it ~9× faster, and an initial load
    encodes 400,000 of them (a resource's values and an order's changes)."""
    return orjson.dumps(values).decode()


def fulfill(conn: sa.Connection, project: Project, graph: Graph, orders: list[Order],
            run_id: int) -> ChangeSet:
    """Apply the orders, record them and the ownership they establish."""
    changes = change_set(project, graph, orders)
    # Applied at once: a new target's record is kept once, in the target (its change row
    # reads it there), not twice — 200,000 records at a 100,000-person initial load.
    apply_and_record(conn, changes, run_id, Naming(project))
    settle(conn, orders, run_id)
    return changes


def settle(conn: sa.Connection, orders: list[Order], run_id: int) -> None:
    """What fulfilled orders leave besides the resources: the orders recorded with the run,
    the ownership they establish, the retention schedule, the unique values issued. A
    workflow's Persist settles the orders it carried the same way."""
    record_orders(conn, orders, run_id)
    # Ownership follows the orders, set-based: one statement each way, not two per order.
    sourced = [o for o in orders if o.source_key is not None]
    owning = sorted({(o.resource_type, o.source_key, o.target_key) for o in sourced
                     if o.kind != "deleted"})
    if sourced and _holds_rows(conn, "ownership"):  # an initial load has nothing to replace
        _own(conn, owning, sorted({(o.resource_type, o.source_key) for o in sourced
                                   if o.kind == "deleted"}))
    else:
        insert_rows(conn, "ownership", ["resource_type", "source_key", "target_key"], owning)
    # A re-keyed target is its new source's only: the gone source that owned it no longer does
    # (it would own it again if its key came back) — whether the run or a workflow settles it.
    for rt, source in sorted({(o.resource_type, o.replaces) for o in orders
                              if o.establishes and o.replaces is not None}):
        conn.execute(sa.delete(ownership).where(ownership.c.resource_type == rt,
                                                ownership.c.source_key == source))
    _schedule(conn, orders, run_id)
    remember_issued(conn, orders)


def _own(conn: sa.Connection, owning: list[tuple[str, str | None, str]],
         deleted: list[tuple[str, str | None]]) -> None:
    """The sources of the orders own the targets of `owning`, and of their deleted orders
    nothing else. Only the rows that change are written: a day's orders mostly modify what
    their sources own already, and rewriting those rows wrote a page of the owners per order
    (2,000,000 owners at 1,000,000 people)."""
    create_temp_table(conn, "hc_own", [("rt", "TEXT"), ("sk", "TEXT"), ("tk", "TEXT")])
    insert_rows(conn, "hc_own", ["rt", "sk", "tk"],
                [*owning, *((rt, sk, None) for rt, sk in deleted)])
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_hc_own ON hc_own (rt, sk, tk)")
    # Each source of an order probes the owners' key (a scan of the owners probing the
    # scratch table took 1.3 s for a day's 11,000 orders among 2,000,000 owners); a row goes
    # when no order of its source gives it its target.
    # (SQLite: CROSS JOIN keeps the scratch table first; PostgreSQL knows both sizes.)
    join = "CROSS JOIN" if conn.dialect.name == "sqlite" else "JOIN"
    conn.exec_driver_sql(
        "DELETE FROM ownership WHERE (resource_type, source_key) IN (SELECT h.rt, h.sk "
        f"FROM hc_own h {join} ownership o ON o.resource_type = h.rt AND o.source_key = h.sk "
        "WHERE NOT EXISTS (SELECT 1 FROM hc_own k WHERE k.rt = o.resource_type "
        "AND k.sk = o.source_key AND k.tk = o.target_key))")
    conn.exec_driver_sql(
        "INSERT INTO ownership (resource_type, source_key, target_key) SELECT h.rt, h.sk, h.tk "
        "FROM hc_own h WHERE h.tk IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ownership o "
        "WHERE o.resource_type = h.rt AND o.source_key = h.sk AND o.target_key = h.tk)")
    drop_temp_table(conn, "hc_own")


def _holds_rows(conn: sa.Connection, table: str) -> bool:
    return conn.exec_driver_sql(f"SELECT 1 FROM {table} LIMIT 1").first() is not None


def remember_issued(conn: sa.Connection, orders: list[Order]) -> None:
    issued = {(o.resource_type, prop, core.casefold()) for o in orders
              for prop, core in o.issued.items()}
    if issued and not _holds_rows(conn, "used_values"):
        insert_rows(conn, "used_values", ["resource_type", "property", "value"], sorted(issued))
    elif issued:
        # Through a scratch table: the values issued before are many more than a run's.
        create_temp_table(conn, "hc_issued", [("rt", "TEXT"), ("p", "TEXT"), ("v", "TEXT")])
        insert_rows(conn, "hc_issued", ["rt", "p", "v"], sorted(issued))
        conn.exec_driver_sql(
            "INSERT INTO used_values (resource_type, property, value) SELECT rt, p, v "
            "FROM hc_issued h WHERE NOT EXISTS (SELECT 1 FROM used_values u WHERE "
            "u.resource_type = h.rt AND u.property = h.p AND u.value = h.v)")
        drop_temp_table(conn, "hc_issued")


DIGITS = frozenset("0123456789")


class Used(Mapping[tuple[str, str], set[str]]):
    """(resource type, property) → the cores of the unique values ever issued, read when a
    run first issues one, for that property only (most runs of a day issue none: the table
    holds every login and e-mail)."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self._read: dict[tuple[str, str], set[str]] = {}

    def __getitem__(self, key: tuple[str, str]) -> set[str]:
        if key not in self._read:
            c = used_values.c
            self._read[key] = {v for (v,) in raw_rows(self.conn, sa.select(c.value).where(
                c.resource_type == key[0], c.property == key[1]))}
        if not self._read[key]:
            raise KeyError(key)
        return self._read[key]

    def matching(self, key: tuple[str, str], cores: Sequence[str]) -> set[str]:
        """Those of `cores` issued: a few looked up by the table's key (policy.unique.
        IssuedValues), not the whole property read."""
        if key in self._read:
            return self._read[key] & set(cores)
        return {v for (v,) in any_of(self.conn, "SELECT u.value FROM used_values u", "u.value",
                                     sorted(set(cores)),
                                     "u.resource_type = ? AND u.property = ?", key)}

    def matching_numbered(self, key: tuple[str, str], name: str) -> set[str]:
        """The cores issued that are `name` followed by a digit (a homonym's numbered
        forms)."""
        if key in self._read:
            return {v for v in self._read[key]
                    if v.startswith(name) and v[len(name):len(name) + 1] in DIGITS}
        sql, params = numbered_range("value", name)
        return {v for (v,) in fetch_rows(
            self.conn, f"SELECT value FROM used_values WHERE resource_type = ? AND "
                       f"property = ? AND {sql}", [*key, *params])}

    def _keys(self) -> list[tuple[str, str]]:
        c = used_values.c
        return [(rt, p) for rt, p in raw_rows(self.conn, sa.select(
            c.resource_type, c.property).distinct().order_by(c.resource_type, c.property))]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())


def used(conn: sa.Connection) -> Used:
    return Used(conn)


def _schedule(conn: sa.Connection, orders: list[Order], run_id: int) -> None:
    """Targets kept for a retention are scheduled for deletion; a target ordered again (its
    source is back) or deleted leaves the schedule."""
    touched = [(o.target_type, o.target_key) for o in orders]
    touched += [(o.target_type, k) for o in orders for k in o.reclaimed]
    if not touched:
        return
    if _holds_rows(conn, "scheduled_deletions"):
        create_temp_table(conn, "hc_sched", [("et", "TEXT"), ("k", "TEXT")])
        insert_rows(conn, "hc_sched", ["et", "k"], touched)
        conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_hc_sched ON hc_sched (et, k)")
        conn.exec_driver_sql(
            "DELETE FROM scheduled_deletions WHERE EXISTS (SELECT 1 FROM hc_sched h WHERE "
            "h.et = scheduled_deletions.entity_type AND h.k = scheduled_deletions.resource_key)")
        drop_temp_table(conn, "hc_sched")
    insert_rows(conn, "scheduled_deletions",
                ["entity_type", "resource_key", "resource_type", "delete_on", "run_id"],
                [(o.target_type, o.target_key, o.resource_type, o.retain_until.isoformat(),
                  run_id) for o in orders if o.retain_until is not None])


def scheduled(conn: sa.Connection) -> dict[str, dict[str, date]]:
    """resource type → target key → the day it is deleted."""
    out: dict[str, dict[str, date]] = {}
    for rt, key, day in conn.execute(sa.select(scheduled_deletions.c.resource_type,
                                               scheduled_deletions.c.resource_key,
                                               scheduled_deletions.c.delete_on)):
        out.setdefault(rt, {})[key] = day
    return out


def record_orders(conn: sa.Connection, orders: list[Order], run_id: int) -> None:
    insert_rows(conn, "provisioning_orders",
                ["run_id", "resource_type", "kind", "source_key", "target_key", "changes"],
                [(run_id, o.resource_type, o.kind, o.source_key, o.target_key,
                  json_text(o.as_json())) for o in orders])


def owned(conn: sa.Connection) -> dict[str, dict[str, str]]:
    """resource type → source key → target key."""
    out: dict[str, dict[str, str]] = {}
    for rt, source, target in raw_rows(conn, sa.select(ownership.c.resource_type,
                                                       ownership.c.source_key,
                                                       ownership.c.target_key)):
        out.setdefault(rt, {})[source] = target
    return out
