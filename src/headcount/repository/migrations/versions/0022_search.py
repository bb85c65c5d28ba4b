"""search: each resource's display name and its search terms (the top bar's
search, names in links and lists)

The table starts empty on an existing database: repository/migrate.py fills it from the deployed
configuration right after this revision, in the same transaction.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resource_names",
        sa.Column("resource_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("entity_type", sa.String(128), nullable=False),
        sa.Column("display", sa.Text, nullable=False),
        sa.Column("terms", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("resource_names")
