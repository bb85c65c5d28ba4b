"""The migrations build exactly the tables the code declares: a table, column or index added to
`repository/schema/` without its migration (or the other way round) fails here."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from headcount.repository.migrate import upgrade
from headcount.repository.schema import metadata


def test_migrations_build_the_declared_schema(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    upgrade(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    tables = [d for d in diffs if d[0] in ("add_table", "remove_table", "add_column",
                                           "remove_column")]
    assert tables == []
