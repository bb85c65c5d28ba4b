"""The migrations build exactly the tables the code declares: a table, column or index added to
`repository/schema/` without its migration (or the other way round) fails here. The PostgreSQL
job queue's tables (`procrastinate_*`, migration 0027) are procrastinate's, built from its own
SQL and not declared in our metadata: the comparison leaves them out, and a test of their own
checks that they come and go with their migration."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from headcount.repository.migrate import downgrade, upgrade
from headcount.repository.schema import metadata

QUEUE_PREFIX = "procrastinate_"


def _ours(diff: Any) -> bool:
    return not (diff[0] == "remove_table" and diff[1].name.startswith(QUEUE_PREFIX))


def test_migrations_build_the_declared_schema(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    upgrade(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    tables = [d for d in diffs if d[0] in ("add_table", "remove_table", "add_column",
                                           "remove_column") and _ours(d)]
    assert tables == []


def _queue_tables(engine: sa.Engine) -> list[str]:
    return sorted(name for name in sa.inspect(engine).get_table_names()
                  if name.startswith(QUEUE_PREFIX))


def test_the_queue_tables_come_and_go_with_their_migration(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    upgrade(engine)
    on_postgres = engine.dialect.name == "postgresql"
    assert _queue_tables(engine) == (
        ["procrastinate_events", "procrastinate_jobs", "procrastinate_periodic_defers",
         "procrastinate_workers"] if on_postgres else [])
    downgrade(engine, "0026")
    assert _queue_tables(engine) == []
    upgrade(engine)
    assert len(_queue_tables(engine)) == (4 if on_postgres else 0)
    engine.dispose()
