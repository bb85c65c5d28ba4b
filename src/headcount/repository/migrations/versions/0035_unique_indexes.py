"""unique indexes: the values of the deployed configuration's `unique` rules, folded, indexed on
`resources` beside the query rules' (repository/query_indexes.py; issue 14)

As those of 0033, they follow the configuration: repository/migrate.py makes those of the
deployed configuration right after this revision, in the same transaction. Going down drops
them, and only them.

On PostgreSQL, the values issued (`used_values.value`) take the C collation, so that a homonym's
numbered forms are one range of the key (`jdupont…`), as on SQLite.

Revision ID: 0035
Revises: 0034
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute('ALTER TABLE used_values ALTER COLUMN value TYPE TEXT COLLATE "C"')


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.execute('ALTER TABLE used_values ALTER COLUMN value TYPE TEXT COLLATE "default"')
    if conn.dialect.name == "sqlite":
        sql = "SELECT name, sql FROM sqlite_master WHERE type = 'index' " \
              "AND tbl_name = 'resources'"
    else:
        sql = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'resources' " \
              "AND schemaname = current_schema()"
    for name, definition in conn.execute(sa.text(sql)).all():
        # A unique rule's index is the one whose expression folds (lower).
        if str(name).startswith("ix_query_") and "lower(" in str(definition).lower():
            op.execute(f"DROP INDEX {name}")
