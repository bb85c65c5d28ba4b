"""Apply a change set to the repository, set-based: the changes go to scratch tables and are
joined in SQL. Runs inside the caller's transaction: all or nothing (SPEC §4.5)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa

from headcount.repository.bulk import (
    create_temp_table,
    drop_temp_table,
    indexes_deferred,
    insert_frame,
    insert_rows,
)
from headcount.repository.database import analyze_if_stale, is_sqlite
from headcount.repository.naming import Naming, insert_names
from headcount.sync.changes import ChangeSet

_MATCH = "resources.entity_type = u.et AND resources.key = u.key"


def apply_changes(conn: sa.Connection, changes: ChangeSet, run_id: int, naming: Naming) -> None:
    """Write `changes`; the names table (schema/search.py) follows every resource written, named
    by `naming` (the deployed configuration's templates)."""
    with _new_resources(conn, changes, run_id, naming) as new:
        _apply(conn, changes, run_id, naming, new)


def _apply(conn: sa.Connection, changes: ChangeSet, run_id: int, naming: Naming,
           new: _NewResources) -> None:
    res, links = changes.resources, changes.links
    _deletes(conn, res.filter(pl.col("kind") == "delete"), run_id)
    new_ids = _insert_resources(conn, new)
    _updates(conn, res.filter(pl.col("kind").is_in(["update", "rehash"])), run_id, naming)
    _link_deletes(conn, links.filter(pl.col("kind") == "link_delete"))
    # One join tells the links whose source the run inserted from the others (a join on two
    # text columns of a million rows costs about a second).
    sourced = links.filter(pl.col("kind") == "link_insert").join(
        new_ids, on=["entity_type", "key"], how="left")
    from_new = sourced.filter(pl.col("id").is_not_null())
    _new_source_links(conn, from_new, new_ids)
    _link_inserts(conn, sourced.filter(pl.col("id").is_null()).drop("id"))
    # Pending references to the new resources resolve now; so do the new resources' links to
    # targets that existed before.
    types = set(new_ids["entity_type"].unique().to_list())
    types |= set(from_new["target_type"].unique().to_list())
    if types:
        _resolve_pending(conn, sorted(types))


def record_changes(conn: sa.Connection, changes: ChangeSet, run_id: int) -> None:
    """Stage the change list of a run: shown in its job result, applied by a resume, and once
    applied, the history (provenance) of the resources. The links of a resource inserted by the
    run are kept in its insert row (`after`), not one row each: half the rows of an initial load."""
    _write_change_rows(conn, *_change_rows(changes, run_id, with_records=True))


def apply_and_record(conn: sa.Connection, changes: ChangeSet, run_id: int, naming: Naming
                     ) -> None:
    """`apply_changes` and `record_changes` in one, for a run applied at once: an insert row then
    leaves the record to the resource it inserted (NULL `data`, read back by
    `changelist.change_data`) rather than holding a second copy of it — a third of the bytes of
    an initial load. An update or a delete of the resource copies the record aside first (see
    `_keep_inserted_records`)."""
    with _new_resources(conn, changes, run_id, naming) as new:
        # Written first, and not built in a thread while the resources are written: at the peak
        # of an initial load (1M rows) that would hold both, 1.37 → 1.48 GB.
        _write_change_rows(conn, *_change_rows(changes, run_id, with_records=False))
        _apply(conn, changes, run_id, naming, new)


def _change_rows(changes: ChangeSet, run_id: int, with_records: bool
                 ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows of the changes table: those of the resources, those of the links."""
    res = changes.resources.filter(pl.col("kind") != "rehash").with_row_index("__row")
    # The added links each with the row of their source's insert, when the run inserts it:
    # one join on the keys, then integers (each join on the keys reads a million rows).
    inserted = res.filter(pl.col("kind") == "insert").select("entity_type", "key", "__row")
    sourced = changes.links.filter(pl.col("kind") == "link_insert").join(
        inserted, on=["entity_type", "key"], how="left", maintain_order="left")
    links_json = sourced.filter(pl.col("__row").is_not_null()).group_by(
        "__row", maintain_order=True).agg(
        pl.struct("navigation", "target_type", "target_key", "line").alias("links")
    ).select("__row", pl.struct("links").struct.json_encode().alias("__links"))
    data = pl.col("data") if with_records else \
        pl.when(pl.col("kind") == "insert").then(None).otherwise(pl.col("data")).alias("data")
    resources = res.join(links_json, on="__row", how="left", maintain_order="left").select(
        pl.lit(run_id).alias("run_id"), "kind", "entity_type", pl.col("key").alias("resource_key"),
        pl.lit(None, pl.String).alias("navigation"), pl.lit(None, pl.String).alias("target_key"),
        data, pl.coalesce("after", "__links").alias("after"), "hash", "connection", "line")
    others = pl.concat([changes.links.filter(pl.col("kind") == "link_delete"),
                        sourced.filter(pl.col("__row").is_null()).drop("__row")])
    link_rows = others.select(
        pl.lit(run_id).alias("run_id"), "kind", "entity_type", pl.col("key").alias("resource_key"),
        "navigation", "target_key",
        pl.concat_str(pl.lit('{"target_type":"'), "target_type", pl.lit('"}')).alias("data"),
        pl.lit(None, pl.String).alias("after"), pl.lit(None, pl.Int64).alias("hash"),
        "connection", "line")
    return resources, link_rows


def _write_change_rows(conn: sa.Connection, resources: pl.DataFrame, link_rows: pl.DataFrame
                       ) -> None:
    with indexes_deferred(conn, "changes", resources.height + link_rows.height):
        for frame in (resources, link_rows):
            insert_frame(conn, "changes", frame)


def _keep_inserted_records(conn: sa.Connection, scratch: str, run_id: int) -> None:
    """Before the resources named in `scratch` (et, key) change or go: the insert rows that
    left their record to them (`apply_and_record`) get a copy of it in `inserted_records`, so
    that history and provenance still show what was inserted. At most one such row per
    resource, of the run that inserted it (a delete copies it before the resource goes); never
    one of this run, whose inserts are of other resources."""
    if not is_sqlite(conn):
        # Right after a bulk load (a first run's change list) PostgreSQL believed `changes`
        # nearly empty and walked it for every key of the scratch table: 26 s of a next day's
        # 4,600 orders at 100,000 people. A scratch table has no statistics of its own.
        analyze_if_stale(conn, ["changes", "inserted_records"])
        conn.exec_driver_sql(f"ANALYZE {scratch}")
    conn.exec_driver_sql(
        "INSERT INTO inserted_records (change_id, data) SELECT c.id, r.data "
        f"FROM {scratch} s JOIN resources r ON r.entity_type = s.et AND r.key = s.key "
        "JOIN changes c ON c.entity_type = s.et AND c.resource_key = s.key "
        f"WHERE c.kind = 'insert' AND c.data IS NULL AND c.run_id <> {int(run_id)} "
        "AND NOT EXISTS (SELECT 1 FROM inserted_records k WHERE k.change_id = c.id)")


def _allocate_ids(conn: sa.Connection, n: int) -> pl.Series:
    """Ids for n new resources, so that their links can be written without reading them back.
    SQLite has one writer at a time (this transaction); PostgreSQL hands out its sequence."""
    if is_sqlite(conn):
        first = int(conn.exec_driver_sql("SELECT coalesce(max(id), 0) + 1 FROM resources")
                    .scalar_one())
        return pl.int_range(first, first + n, eager=True, dtype=pl.Int64).alias("id")
    rows = conn.exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence('resources', 'id')) "
        f"FROM generate_series(1, {int(n)})").scalars().all()
    return pl.Series("id", rows, dtype=pl.Int64)


@dataclass(frozen=True)
class _NewResources:
    """The rows of the resources a run inserts, with their ids, and their names being computed."""

    rows: pl.DataFrame
    names: Future[pl.DataFrame]


@contextmanager
def _new_resources(conn: sa.Connection, changes: ChangeSet, run_id: int, naming: Naming
                   ) -> Iterator[_NewResources]:
    """The new resources' rows, their ids allocated (so that their links are written without
    reading them back), and their names computed in a thread (polars, off the GIL) from now
    on, while the driver writes what comes before them: at a million rows the names cost more
    than the resources' own insert."""
    inserts = changes.resources.filter(pl.col("kind") == "insert")
    rows = inserts.select("entity_type", "key", "data", "hash").with_columns(
        _allocate_ids(conn, inserts.height) if inserts.height else pl.lit(None, pl.Int64)
        .alias("id"), pl.lit(run_id).alias("created_run"), pl.lit(run_id).alias("updated_run"))
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield _NewResources(rows, pool.submit(
            naming.rows, rows.select("id", "entity_type", "key", "data")))


def _insert_resources(conn: sa.Connection, new: _NewResources) -> pl.DataFrame:
    """Insert the new resources and their names; returns their (entity_type, key, id)."""
    if new.rows.height:
        insert_frame(conn, "resources", new.rows)
        insert_names(conn, new.names.result())
    return new.rows.select("entity_type", "key", "id")


def _new_source_links(conn: sa.Connection, rows: pl.DataFrame, new_ids: pl.DataFrame) -> None:
    """Links whose source the run inserted: ids are known, targets resolved among the new
    resources here and among the others by _resolve_pending."""
    if rows.height == 0:
        return
    targets = new_ids.rename({"entity_type": "target_type", "key": "target_key",
                              "id": "target_id"})
    out = rows.join(targets, on=["target_type", "target_key"], how="left").select(
        pl.col("id").alias("source_id"), "navigation", "target_type", "target_key", "target_id")
    with indexes_deferred(conn, "links", out.height):
        insert_frame(conn, "links", out)


def _deletes(conn: sa.Connection, rows: pl.DataFrame, run_id: int) -> None:
    if rows.height == 0:
        return
    create_temp_table(conn, "hc_del", [("et", "TEXT"), ("key", "TEXT")])
    insert_rows(conn, "hc_del", ["et", "key"], rows.select("entity_type", "key").iter_rows())
    _keep_inserted_records(conn, "hc_del", run_id)
    ids = ("SELECT r.id FROM resources r JOIN hc_del d ON r.entity_type = d.et "
           "AND r.key = d.key")
    conn.exec_driver_sql(f"DELETE FROM links WHERE source_id IN ({ids})")
    # References to a deleted resource stay, pending: the file still names that key.
    conn.exec_driver_sql(f"UPDATE links SET target_id = NULL WHERE target_id IN ({ids})")
    conn.exec_driver_sql(f"DELETE FROM resource_names WHERE resource_id IN ({ids})")
    conn.exec_driver_sql(f"DELETE FROM resources WHERE id IN ({ids})")
    drop_temp_table(conn, "hc_del")


def _updates(conn: sa.Connection, rows: pl.DataFrame, run_id: int, naming: Naming) -> None:
    if rows.height == 0:
        return
    named = naming.rows(rows.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("id"),
                                    "entity_type", "key", pl.col("after").alias("data")))
    create_temp_table(conn, "hc_upd", [("et", "TEXT"), ("key", "TEXT"), ("data", "TEXT"),
                                       ("hash", "BIGINT"), ("real", "INTEGER"),
                                       ("display", "TEXT"), ("terms", "TEXT")])
    insert_rows(conn, "hc_upd", ["et", "key", "data", "hash", "real", "display", "terms"], (
        (et, k, a, h, 1 if kind == "update" else 0, display, terms)
        for (kind, et, k, a, h), (display, terms) in zip(
            rows.select("kind", "entity_type", "key", "after", "hash").iter_rows(),
            named.sort("resource_id").select("display", "terms").iter_rows(), strict=True)))
    _keep_inserted_records(conn, "hc_upd", run_id)
    conn.exec_driver_sql(
        "UPDATE resources SET data = u.data, hash = u.hash, "
        f"updated_run = CASE WHEN u.real = 1 THEN {int(run_id)} ELSE resources.updated_run END "
        f"FROM hc_upd u WHERE {_MATCH}")
    # Replaced where they changed, rather than updated: a resource without a row yet gets
    # one. Most updates keep a resource's name: rewriting it anyway wrote a page of the names
    # per resource (a date evaluation's 11,000 status changes among 1,000,000 users).
    differs = "IS NOT" if conn.dialect.name == "sqlite" else "IS DISTINCT FROM"
    conn.exec_driver_sql(
        "DELETE FROM resource_names WHERE resource_id IN (SELECT r.id FROM hc_upd u "
        "JOIN resources r ON r.entity_type = u.et AND r.key = u.key "
        "JOIN resource_names n ON n.resource_id = r.id "
        f"WHERE n.display {differs} u.display OR n.terms {differs} u.terms)")
    conn.exec_driver_sql(
        "INSERT INTO resource_names (resource_id, entity_type, display, terms) "
        "SELECT r.id, u.et, u.display, u.terms FROM hc_upd u "
        "JOIN resources r ON r.entity_type = u.et AND r.key = u.key "
        "WHERE NOT EXISTS (SELECT 1 FROM resource_names n WHERE n.resource_id = r.id)")
    drop_temp_table(conn, "hc_upd")


def _link_deletes(conn: sa.Connection, rows: pl.DataFrame) -> None:
    if rows.height == 0:
        return
    create_temp_table(conn, "hc_ldel", [("et", "TEXT"), ("key", "TEXT"), ("nav", "TEXT"),
                                        ("tkey", "TEXT")])
    insert_rows(conn, "hc_ldel", ["et", "key", "nav", "tkey"],
                rows.select("entity_type", "key", "navigation", "target_key").iter_rows())
    conn.exec_driver_sql(
        "DELETE FROM links WHERE id IN (SELECT l.id FROM links l "
        "JOIN resources r ON r.id = l.source_id "
        "JOIN hc_ldel d ON d.et = r.entity_type AND d.key = r.key AND d.nav = l.navigation "
        "AND d.tkey = l.target_key)")
    drop_temp_table(conn, "hc_ldel")


def _link_inserts(conn: sa.Connection, rows: pl.DataFrame) -> None:
    if rows.height == 0:
        return
    create_temp_table(conn, "hc_lins", [("et", "TEXT"), ("key", "TEXT"), ("nav", "TEXT"),
                                        ("ttype", "TEXT"), ("tkey", "TEXT")])
    insert_rows(conn, "hc_lins", ["et", "key", "nav", "ttype", "tkey"], rows.select(
        "entity_type", "key", "navigation", "target_type", "target_key").iter_rows())
    conn.exec_driver_sql(
        "INSERT INTO links (source_id, navigation, target_type, target_key, target_id) "
        "SELECT r.id, d.nav, d.ttype, d.tkey, t.id FROM hc_lins d "
        "JOIN resources r ON r.entity_type = d.et AND r.key = d.key "
        "LEFT JOIN resources t ON t.entity_type = d.ttype AND t.key = d.tkey "
        "ON CONFLICT DO NOTHING")
    drop_temp_table(conn, "hc_lins")


def _resolve_pending(conn: sa.Connection, target_types: list[str]) -> None:
    """References to keys that did not exist resolve by themselves once the target appears."""
    conn.execute(
        sa.text("UPDATE links SET target_id = (SELECT t.id FROM resources t "
                "WHERE t.entity_type = links.target_type AND t.key = links.target_key) "
                "WHERE target_id IS NULL AND target_type IN :types")
        .bindparams(sa.bindparam("types", expanding=True)),
        {"types": target_types})
