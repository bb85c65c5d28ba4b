"""Engines for the repository: SQLite (WAL) in the project folder by default, PostgreSQL when
HEADCOUNT_DATABASE_URL says so."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

DATABASE_ENV = "HEADCOUNT_DATABASE_URL"
DEFAULT_SQLITE_NAME = "headcount.db"


def database_url(project_dir: Path) -> str:
    return os.environ.get(DATABASE_ENV) or f"sqlite:///{project_dir / DEFAULT_SQLITE_NAME}"


def create_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        _sqlite_pragmas(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


@contextmanager
def begin_write(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A transaction that will write. On SQLite it takes the write lock at once (BEGIN
    IMMEDIATE), waiting for it if another process writes: a transaction that read first and
    writes later would instead fail at once when it finds the lock taken."""
    with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, conn.begin():
        yield conn


def is_sqlite(engine: sa.Engine | sa.Connection) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_pragmas(engine: sa.Engine) -> None:
    # pysqlite's own transaction handling starts transactions late and never for SELECT; take
    # over so that a transaction is what SQLAlchemy says it is (the documented recipe).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # Larger pages for a new database: a million-row load writes fewer, fuller pages
        # (measured: initial load of 1M rows 19.3 s → 17.0 s). No effect on an existing one.
        cursor.execute("PRAGMA page_size=16384")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA cache_size=-200000")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())
