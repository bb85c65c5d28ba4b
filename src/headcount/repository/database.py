"""Engines for the repository: SQLite (WAL) in the project folder by default, PostgreSQL when
HEADCOUNT_DATABASE_URL says so."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
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
    # No JIT: a run's queries are many and short, over scratch tables PostgreSQL knows no size
    # of; their estimates crossed the JIT threshold and compiling took 40 times the query. The
    # URL's own `options` (a search_path, a statement_timeout) are kept: connect_args would
    # replace them.
    given = sa.engine.make_url(url).query.get("options")
    options = " ".join([*([given] if isinstance(given, str) else given or []), "-c jit=off"])
    return sa.create_engine(url, pool_pre_ping=True, connect_args={"options": options})


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
        # Pages of 8 KiB for a new database (no effect on an existing one). Larger pages made
        # a million-row load write fewer, fuller pages (4 KiB → 16 KiB: 19.3 s → 17.0 s), but a
        # daily run changes one row here and there, and writes each page it touches twice (the
        # WAL, then the checkpoint): about one page per changed row and structure, so smaller
        # pages mean fewer bytes. 8 KiB kept the load's ratio to its floor and made the daily
        # runs faster (1M re-sync at 1 %: ×0.71–0.87 the floor against ×0.78–0.94; HR →
        # identities at 100,000 people ×8.7 against ×10.2; bench/README).
        cursor.execute("PRAGMA page_size=8192")
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


# Rows written since the last ANALYZE (and by this transaction) beyond which a table's
# statistics are refreshed before a run plans its reads: a table that PostgreSQL still believes
# nearly empty after a bulk load gets read whole for each scratch-table join.
_STALE_SHARE = 0.2
_STALE_MIN = 10_000


def analyze_if_stale(conn: sa.Connection, tables: Sequence[str]) -> list[str]:
    """PostgreSQL: ANALYZE the tables much written since their statistics (autovacuum does,
    later: not before a run that follows a bulk load in the same minute). The tables analysed."""
    if is_sqlite(conn):
        return []
    rows = conn.exec_driver_sql(
        "SELECT s.relname, c.reltuples, s.n_mod_since_analyze, "
        "x.n_tup_ins + x.n_tup_upd + x.n_tup_del FROM pg_stat_user_tables s "
        "JOIN pg_class c ON c.oid = s.relid "
        "JOIN pg_stat_xact_user_tables x ON x.relid = s.relid "
        "WHERE s.schemaname = current_schema() AND s.relname = ANY(%(names)s)",
        {"names": list(tables)}).all()
    # Once per transaction (its counters never reset: a second plan in it would analyse again).
    began = conn.exec_driver_sql("SELECT now()").scalar()
    done: set[str] = conn.info.get("hc_analyzed", {}).get(began, set())
    stale = [name for name, tuples, since, now in rows if name not in done
             and since + now > max(_STALE_MIN, _STALE_SHARE * max(float(tuples), 0.0))]
    for name in stale:
        conn.exec_driver_sql(f'ANALYZE "{name}"')
    conn.info["hc_analyzed"] = {began: done | set(stale)}
    return stale
