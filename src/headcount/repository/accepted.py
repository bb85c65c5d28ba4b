"""The accepted snapshot (SPEC §4.2): the (key, hash) pairs of each entity type as the last
applied run left them. A complete run compares the file with it instead of reading a million
rows back. It is written in the same transaction as the resources, stamped with the connector's
version: a snapshot whose stamp is not the current version is never used."""

from __future__ import annotations

import io

import polars as pl
import sqlalchemy as sa

from headcount.repository.schema import hash_snapshots
from headcount.sync.changes import ChangeSet
from headcount.sync.diff import OLD_HASH
from headcount.sync.prepared import KEY

SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {KEY: pl.String, OLD_HASH: pl.Int64}


def load(conn: sa.Connection, entity_type: str, version: int) -> pl.DataFrame | None:
    row = conn.execute(sa.select(hash_snapshots.c.version, hash_snapshots.c.data)
                       .where(hash_snapshots.c.entity_type == entity_type)).first()
    if row is None or row[0] != version:
        return None
    return pl.read_parquet(io.BytesIO(row[1]))


def save(conn: sa.Connection, entity_type: str, version: int, frame: pl.DataFrame) -> None:
    buffer = io.BytesIO()
    frame.select(KEY, OLD_HASH).write_parquet(buffer, compression="zstd")
    conn.execute(sa.delete(hash_snapshots).where(hash_snapshots.c.entity_type == entity_type))
    conn.execute(sa.insert(hash_snapshots).values(
        entity_type=entity_type, version=version, rows=frame.height, data=buffer.getvalue()))


def restamp(conn: sa.Connection, entity_type: str, old: int, new: int) -> bool:
    """An entity type the run did not change: its current snapshot stays true for the new
    version. False when there was no current snapshot to restamp."""
    result = conn.execute(sa.update(hash_snapshots).where(
        hash_snapshots.c.entity_type == entity_type, hash_snapshots.c.version == old
    ).values(version=new))
    return bool(result.rowcount)


def updated(old: pl.DataFrame, changes: ChangeSet, entity_type: str) -> pl.DataFrame:
    """The snapshot after applying the resource changes of one entity type."""
    mine = changes.resources.filter(pl.col("entity_type") == entity_type)
    touched = mine.select(pl.col("key").alias(KEY))
    kept = old.join(touched, on=KEY, how="anti")
    fresh = mine.filter(pl.col("kind") != "delete").select(
        pl.col("key").alias(KEY), pl.col("hash").alias(OLD_HASH))
    # Sorted by key, as the diff merges it with the file's rows (sync.diff._joined); an
    # initial load's is already (prepare sorts), and sorting it would copy a million keys.
    out = pl.concat([kept, fresh])
    return out if out.get_column(KEY).is_sorted() else out.sort(KEY)


def refresh(conn: sa.Connection, entity_types: list[str], changes: ChangeSet, old_version: int,
            new_version: int, before: dict[str, pl.DataFrame], initial: bool) -> None:
    """Bring every entity type's snapshot to `new_version`, after the changes were applied.
    `before` holds the snapshots the diff read, when it read them whole."""
    changed = set(changes.resources["entity_type"].unique().to_list())
    for et in entity_types:
        base = before.get(et)
        if et not in changed:
            if not restamp(conn, et, old_version, new_version) and base is not None:
                save(conn, et, new_version, base)  # heals a missing or stale snapshot
            continue
        if base is None:
            base = pl.DataFrame(schema=SCHEMA) if initial else load(conn, et, old_version)
        if base is None:
            continue  # no current snapshot: the next complete run reads the rows
        save(conn, et, new_version, updated(base, changes, et))
