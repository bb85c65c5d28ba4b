"""Alembic migrations, run programmatically so that `headcount init` and every command bring the
database to the current schema. A database that gains the names table (0022) has it filled from
the deployed configuration in the same transaction."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from headcount.config.model import Project
from headcount.repository import query_indexes
from headcount.repository.naming import Naming, rebuild
from headcount.repository.schema import deployments

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection: sa.Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


# The revision that creates the names table (migrations/versions/0022_search.py).
NAMES_REVISION = "0022"
# The revision from which the deployed query rules' values are indexed (0033_query_indexes.py).
QUERY_INDEXES_REVISION = "0033"
# The revision from which the deployed unique rules' values are indexed too (0035).
UNIQUE_INDEXES_REVISION = "0035"


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Processes started together on one database (a server and its workers after an
            # upgrade) migrate one after the other: the next one finds the schema current.
            connection.exec_driver_sql(
                "SELECT pg_advisory_xact_lock(hashtext('headcount-migrate'))")
        before = MigrationContext.configure(connection).get_current_revision()
        command.upgrade(_config(connection), revision)
        after = MigrationContext.configure(connection).get_current_revision()
        if before is not None and before < NAMES_REVISION <= (after or ""):
            _fill_names(connection)
        if before is not None and any(before < revision <= (after or "") for revision in
                                      (QUERY_INDEXES_REVISION, UNIQUE_INDEXES_REVISION)):
            _make_query_indexes(connection)


def downgrade(engine: sa.Engine, revision: str) -> None:
    """Back to `revision` (a database as an older headcount left it: for tests of upgrades)."""
    with engine.begin() as connection:
        command.downgrade(_config(connection), revision)


def _deployed(conn: sa.Connection) -> Project | None:
    config = conn.execute(sa.select(deployments.c.config).order_by(deployments.c.id.desc())
                          .limit(1)).scalar()
    return None if config is None else Project.model_validate_json(config)


def _fill_names(conn: sa.Connection) -> None:
    project = _deployed(conn)
    if project is not None:
        rebuild(conn, Naming(project))


def _make_query_indexes(conn: sa.Connection) -> None:
    project = _deployed(conn)
    if project is not None:
        query_indexes.ensure(conn, project)
