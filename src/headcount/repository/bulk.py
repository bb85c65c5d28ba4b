"""Bulk writes: executemany on SQLite, COPY on PostgreSQL — per-row statements are what make
synchronizations take hours (SPEC §16)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

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
