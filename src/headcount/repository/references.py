"""Pending references (SPEC §4.3, §4.6): after a run applies, every link of its connector whose
target does not exist is recorded with the run — all of them, not a sample — and with why the
target is missing: absent from the file, or set aside by the run (duplicate, invalid, ragged),
which the run's set-aside rows tell. The job result counts, lists and exports them."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Any, TextIO

import polars as pl
import sqlalchemy as sa

from headcount.cells import formula_safe
from headcount.config.model import Connector
from headcount.repository.bulk import insert_rows
from headcount.repository.runs import get_run
from headcount.repository.schema import pending_references, set_aside

ABSENT = "absent"
CSV_HEADER = ["entity_type", "key", "navigation", "target_type", "target_key", "cause",
              "connection", "line", "new"]
_COLUMNS = ["run_id", "entity_type", "resource_key", "navigation", "target_type", "target_key",
            "cause", "connection", "line", "new"]
_REF = ["entity_type", "key", "navigation", "target_key"]


@dataclass(frozen=True)
class PendingReference:
    entity_type: str
    key: str
    navigation: str
    target_type: str
    target_key: str
    cause: str  # absent | duplicate | invalid | ragged
    connection: str | None  # where the target's key was set aside, if it was
    line: int | None
    new: bool  # written by this run, not left pending by an earlier one


@dataclass
class PendingTally:
    """How many references a run left pending, and how many of them it wrote, per entity type."""

    total: int = 0
    new: dict[str, int] = field(default_factory=dict)
    sample: list[PendingReference] = field(default_factory=list)


def navigations(connector: Connector) -> list[str]:
    return [f"{et.identifier}.{p.identifier}" for et in connector.entity_types
            for p in et.properties if p.is_navigation]


def record_pending(conn: sa.Connection, run_id: int, connector: Connector,
                   written: pl.DataFrame, sample: int = 5) -> PendingTally:
    """Record every pending reference of the connector as the run leaves it. `written` is the
    run's link changes: those it inserted are marked new. Call it after the run's set-aside
    rows are staged and its changes applied, in the same transaction."""
    return store_pending(conn, run_id, find_pending(conn, run_id, connector, written),
                         sample)


def store_pending(conn: sa.Connection, run_id: int, pending: pl.DataFrame | None,
                  sample: int = 5) -> PendingTally:
    # Recorded again (a resume, a recomputed preview): the run's earlier list goes.
    conn.execute(sa.delete(pending_references).where(pending_references.c.run_id == run_id))
    """Record the references `find_pending` found (in this transaction or in one rolled
    back: a blocked run's, a dry run's)."""
    if pending is None or pending.height == 0:
        return PendingTally()
    insert_rows(conn, "pending_references", _COLUMNS, pending.select(
        pl.lit(run_id).alias("run_id"), "entity_type", pl.col("key").alias("resource_key"),
        "navigation", "target_type", "target_key", "cause", "connection", "line",
        pl.col("new")).iter_rows())
    new = pending.filter(pl.col("new")).group_by("entity_type").len()
    return PendingTally(
        total=pending.height, new={str(et): int(n) for et, n in new.iter_rows()},
        sample=[PendingReference(**r) for r in pending.head(sample).iter_rows(named=True)])


def find_pending(conn: sa.Connection, run_id: int, connector: Connector,
                 written: pl.DataFrame) -> pl.DataFrame | None:
    """Every pending reference of the connector as the repository holds it now, with why, and
    whether `written` (the run's link changes) inserted it."""
    navs = navigations(connector)
    if not navs:
        return None
    rows = conn.execute(sa.text(
        "SELECT r.entity_type, r.key, l.navigation, l.target_type, l.target_key FROM links l "
        "JOIN resources r ON r.id = l.source_id "
        "WHERE l.target_id IS NULL AND l.navigation IN :navs "
        "ORDER BY r.entity_type, r.key, l.navigation, l.target_key")
        .bindparams(sa.bindparam("navs", expanding=True)), {"navs": navs}).all()
    if not rows:
        return None
    pending = pl.DataFrame([tuple(r) for r in rows], orient="row", schema={
        "entity_type": pl.String, "key": pl.String, "navigation": pl.String,
        "target_type": pl.String, "target_key": pl.String})
    inserted = written.filter(pl.col("kind") == "link_insert").select(_REF).unique()
    pending = pending.join(inserted.with_columns(pl.lit(True).alias("new")), on=_REF,
                           how="left").with_columns(pl.col("new").fill_null(False))
    pending = pending.join(_set_aside_targets(conn, run_id, connector),
                           on=["target_type", "target_key"], how="left")
    return pending.with_columns(pl.col("cause").fill_null(ABSENT))


def _set_aside_targets(conn: sa.Connection, run_id: int, connector: Connector) -> pl.DataFrame:
    """The keys the run set aside, by the entity type their connection maps: the first row of
    each key tells the cause of a reference to it."""
    types: dict[str, list[str]] = {}
    for mapping in connector.mappings:
        et = connector.entity_type(mapping.entity_type).identifier
        types.setdefault(mapping.connection.lower(), []).append(et)
    rows = conn.execute(sa.select(set_aside.c.connection, set_aside.c.line, set_aside.c.key,
                                  set_aside.c.category)
                        .where(set_aside.c.run_id == run_id, set_aside.c.key.is_not(None))
                        .order_by(set_aside.c.connection, set_aside.c.line)).all()
    found = [(et, key, category, cid, line) for cid, line, key, category in rows
             for et in types.get(cid.lower(), [])]
    frame = pl.DataFrame(found, orient="row", schema={
        "target_type": pl.String, "target_key": pl.String, "cause": pl.String,
        "connection": pl.String, "line": pl.Int64})
    return frame.unique(["target_type", "target_key"], keep="first", maintain_order=True)


def describe(ref: PendingReference) -> str:
    """One line for a person: whose reference, to what, and why it is pending."""
    return (f"{ref.entity_type} {ref.key}: {ref.navigation.partition('.')[2]} = "
            f"{ref.target_key} ({why(ref)})")


def why(ref: PendingReference) -> str:
    if ref.cause == ABSENT:
        return f"no {ref.target_type} has this key: absent from the file"
    where = f", {ref.connection} line {ref.line}" if ref.connection else ""
    return f"its {ref.target_type} row was set aside as {ref.cause}{where}"


def split_link_counters(counters: dict[str, Any], tally: PendingTally) -> None:
    """`links_inserted` counts the links that resolved; those written pending are counted apart
    (`links_pending`); `unresolved` counts every pending reference the run leaves. Counted
    again (a resume after a provisioning block), the split starts from all the links written."""
    counters["unresolved"] = tally.total
    per_type: dict[str, dict[str, int]] = counters.setdefault("per_entity_type", {})
    for et in set(per_type) | set(tally.new):
        mine = per_type.setdefault(et, {})
        written = mine.get("links_inserted", 0) + mine.pop("links_pending", 0)
        pending = tally.new.get(et, 0)
        mine["links_inserted"] = written - pending
        if pending:
            mine["links_pending"] = pending
    written = int(counters.get("links_inserted", 0)) + int(counters.get("links_pending", 0))
    pending = sum(tally.new.values())
    counters["links_inserted"] = written - pending
    counters["links_pending"] = pending


def pending_page(conn: sa.Connection, run_id: int, limit: int, offset: int
                 ) -> tuple[int, list[PendingReference]]:
    """The run's pending references, in order of source, and how many there are in all."""
    get_run(conn, run_id)  # NotFound for an unknown run
    where = pending_references.c.run_id == run_id
    total = int(conn.execute(sa.select(sa.func.count()).select_from(pending_references)
                             .where(where)).scalar_one())
    rows = conn.execute(_select().where(where).order_by(pending_references.c.id)
                        .limit(limit).offset(offset)).all()
    return total, [_reference(r) for r in rows]


def write_pending_csv(conn: sa.Connection, run_id: int, handle: TextIO) -> None:
    get_run(conn, run_id)
    writer = csv.writer(handle)
    writer.writerow(CSV_HEADER)
    query = _select().where(pending_references.c.run_id == run_id) \
        .order_by(pending_references.c.id)
    for row in conn.execute(query):
        ref = _reference(row)
        writer.writerow([formula_safe(v) for v in (
            ref.entity_type, ref.key, ref.navigation, ref.target_type, ref.target_key,
            ref.cause, ref.connection, ref.line, "yes" if ref.new else "no")])


def _select() -> sa.Select[Any]:
    t = pending_references.c
    return sa.select(t.entity_type, t.resource_key, t.navigation, t.target_type, t.target_key,
                     t.cause, t.connection, t.line, t.new)


def _reference(row: sa.Row[Any]) -> PendingReference:
    et, key, nav, ttype, tkey, cause, cid, line, new = tuple(row)
    return PendingReference(et, key, nav, ttype, tkey, cause, cid, line, bool(new))
