"""pending references: every unresolved reference a run left, with why its target is missing

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_references",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("entity_type", sa.String(128), nullable=False),
        sa.Column("resource_key", sa.Text, nullable=False),
        sa.Column("navigation", sa.String(260), nullable=False),
        sa.Column("target_type", sa.String(128), nullable=False),
        sa.Column("target_key", sa.Text, nullable=False),
        sa.Column("cause", sa.String(32), nullable=False),
        sa.Column("connection", sa.String(128), nullable=True),
        sa.Column("line", sa.Integer, nullable=True),
        sa.Column("new", sa.Boolean, nullable=False),
    )
    op.create_index("ix_pending_references_run_id", "pending_references", ["run_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_pending_references_run_id", table_name="pending_references")
    op.drop_table("pending_references")
