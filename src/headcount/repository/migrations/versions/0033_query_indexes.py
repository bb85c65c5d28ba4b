"""query indexes: the values the deployed configuration's query rules match, indexed on
`resources` (repository/query_indexes.py; issue 14)

They follow the configuration, not the schema: each deployment makes its own. On an existing
database, repository/migrate.py makes those of the deployed configuration right after this
revision, in the same transaction; going down drops them.

Revision ID: 0033
Revises: 0032
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

PREFIX = "ix_query_"


def upgrade() -> None:
    pass


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'resources'"
    else:
        sql = "SELECT indexname FROM pg_indexes WHERE tablename = 'resources' " \
              "AND schemaname = current_schema()"
    for (name,) in conn.execute(sa.text(sql)).all():
        if str(name).startswith(PREFIX):
            op.execute(f"DROP INDEX {name}")
