"""provisioning orders and the ownership of targets by sources (SPEC §6.3)

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ownership",
        sa.Column("resource_type", sa.String(length=128), nullable=False),
        sa.Column("source_key", sa.Text(), nullable=False),
        sa.Column("target_key", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("resource_type", "source_key"),
    )
    op.create_table(
        "provisioning_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("resource_type", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_key", sa.Text(), nullable=True),
        sa.Column("target_key", sa.Text(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_provisioning_orders_run", "provisioning_orders", ["run_id", "id"])


def downgrade() -> None:
    op.drop_table("provisioning_orders")
    op.drop_table("ownership")
