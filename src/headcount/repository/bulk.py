"""Bulk writes: executemany on SQLite, COPY on PostgreSQL — per-row statements are what make
synchronizations take hours (SPEC §16)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import polars as pl
import sqlalchemy as sa

from headcount.repository.database import is_sqlite


def insert_rows(conn: sa.Connection, table: str, columns: Sequence[str],
                rows: Iterable[Sequence[Any]]) -> None:
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    cols = ", ".join(columns)
    if is_sqlite(conn):
        marks = ", ".join("?" for _ in columns)
        cursor = dbapi.cursor()
        try:
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
        finally:
            cursor.close()
        return
    with dbapi.cursor() as cursor, cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# Rows written to PostgreSQL per CSV buffer: a bounded copy of the frame, not a whole one.
_COPY_CHUNK = 100_000
# Below this many rows an empty table keeps its indexes: dropping and building them again
# costs more than maintaining them (and changes the schema other connections cached).
DEFERRED_INDEX_ROWS = 50_000


def insert_frame(conn: sa.Connection, table: str, frame: pl.DataFrame) -> None:
    """Insert a frame's rows (its columns are the table's). SQLite: a column holding one value
    in every row is written into the statement instead of being converted and bound a million
    times. PostgreSQL: COPY of CSV written by polars, not a Python tuple per row."""
    if frame.height == 0:
        return
    if not is_sqlite(conn):
        _copy_csv(conn, table, frame)
        return
    constants = _constant_columns(frame)
    if len(constants) == frame.width:  # a row per execution needs a value bound
        del constants[frame.columns[0]]
    bound = [c for c in frame.columns if c not in constants]
    values = ", ".join(constants.get(c, "?") for c in frame.columns)
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(frame.columns)}) VALUES ({values})",
                           frame.select(bound).iter_rows())
    finally:
        cursor.close()


def _constant_columns(frame: pl.DataFrame) -> dict[str, str]:
    """Column → its SQL literal, for the integer, text and all-null columns with one value."""
    out: dict[str, str] = {}
    for name, series in frame.to_dict().items():
        if series.null_count() == series.len():
            out[name] = "NULL"
        elif series.null_count() or not (series.dtype.is_integer() or series.dtype == pl.String):
            continue
        elif series.min() == series.max():
            # An integer's text is its literal; text is quoted, its quotes doubled (and a NUL,
            # which no statement's text may hold, stays bound).
            value = str(series.first())
            if series.dtype.is_integer():
                out[name] = value
            elif "\x00" not in value:
                out[name] = "'" + value.replace("'", "''") + "'"
    return out


def _copy_csv(conn: sa.Connection, table: str, frame: pl.DataFrame) -> None:
    # CSV as COPY reads it: an empty unquoted field is NULL, a quoted one ("") empty text.
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    sql = f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN (FORMAT csv)"
    with dbapi.cursor() as cursor, cursor.copy(sql) as copy:
        for chunk in frame.iter_slices(_COPY_CHUNK):
            buffer = io.BytesIO()
            chunk.write_csv(buffer, include_header=False, quote_style="non_numeric")
            copy.write(buffer.getvalue())


@contextmanager
def indexes_deferred(conn: sa.Connection, table: str, rows: int) -> Iterator[None]:
    """Around a bulk insert of `rows` rows: on SQLite, when the table is empty, its secondary
    indexes are dropped and built again once the rows are in, in the caller's transaction (a
    crash or a rollback leaves them as they were). Building an index over sorted rows costs a
    fraction of maintaining it row by row. Unique constraints stay (SQLite cannot drop them)."""
    if not is_sqlite(conn) or rows < DEFERRED_INDEX_ROWS or conn.exec_driver_sql(
            f"SELECT 1 FROM {table} LIMIT 1").first() is not None:
        yield
        return
    indexes = [(str(name), str(sql)) for name, sql in conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL ORDER BY name", (table,))]
    for name, _ in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        for _, sql in indexes:
            conn.exec_driver_sql(sql)


def raw_rows(conn: sa.Connection, statement: sa.Select[Any]) -> list[tuple[Any, ...]]:
    """The rows of a select, as the driver gives them: for the million-row reads of a policy
    step, SQLAlchemy's row objects cost more than the query. The statement's values are
    written into it (`literal_binds`): keep it to names and numbers of our own."""
    sql = str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def execute_many(conn: sa.Connection, sql: str, rows: Iterable[Sequence[Any]]) -> None:
    """A parameterised statement (written with `?` marks) for many rows, on the raw driver."""
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    if not is_sqlite(conn):
        sql = sql.replace("?", "%s")
    cursor = dbapi.cursor()
    try:
        cursor.executemany(sql, list(rows) if not is_sqlite(conn) else rows)
    finally:
        cursor.close()


def create_temp_table(conn: sa.Connection, name: str, columns: Sequence[tuple[str, str]]) -> None:
    """A scratch table for set-based joins, dropped at the end of the transaction on PostgreSQL
    and explicitly on SQLite."""
    cols = ", ".join(f"{c} {t}" for c, t in columns)
    if is_sqlite(conn):
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")
        conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ({cols})")
    else:
        conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({cols}) ON COMMIT DROP")
        conn.exec_driver_sql(f"TRUNCATE {name}")


def drop_temp_table(conn: sa.Connection, name: str) -> None:
    if is_sqlite(conn):  # PostgreSQL drops it at commit
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")


def reserve_ids(conn: sa.Connection, table: sa.Table, count: int) -> list[int]:
    """`count` ids for new rows of `table`, to insert with `executemany` rather than one
    `INSERT … RETURNING` per row (SQLite returns ids row by row). SQLite: after the largest,
    in the write transaction the caller holds (no other writer); PostgreSQL: drawn from the
    column's sequence, so that concurrent inserts never take them."""
    if count <= 0:
        return []
    if is_sqlite(conn):
        start = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0)))
                    .scalar_one()) + 1
        return list(range(start, start + count))
    sequence = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"),
                            {"t": table.name}).scalar_one()
    return [int(r[0]) for r in conn.execute(
        sa.text("SELECT nextval(CAST(:s AS regclass)) FROM generate_series(1, :n)"),
        {"s": sequence, "n": count})]
