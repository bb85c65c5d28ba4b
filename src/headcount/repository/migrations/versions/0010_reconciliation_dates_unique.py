"""property states, correlation decisions, scheduled deletions, used unique values

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "property_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=128), nullable=False),
        sa.Column("resource_key", sa.Text(), nullable=False),
        sa.Column("property", sa.String(length=128), nullable=False),
        sa.Column("resource_type", sa.String(length=128), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("manual_value", sa.Text(), nullable=True),
        sa.Column("proposed_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_by", sa.String(length=255), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entity_type", "resource_key", "property",
                            name="uq_property_states"),
    )
    op.create_index("ix_property_states_state", "property_states", ["state"])
    with op.batch_alter_table("correlation_cases") as batch:
        batch.add_column(sa.Column("decision", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("decided_target", sa.Text(), nullable=True))
        batch.add_column(sa.Column("decided_by", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("comment", sa.Text(), nullable=True))
    op.create_table(
        "scheduled_deletions",
        sa.Column("entity_type", sa.String(length=128), nullable=False),
        sa.Column("resource_key", sa.Text(), nullable=False),
        sa.Column("resource_type", sa.String(length=128), nullable=False),
        sa.Column("delete_on", sa.Date(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("entity_type", "resource_key"),
    )
    op.create_table(
        "used_values",
        sa.Column("resource_type", sa.String(length=128), nullable=False),
        sa.Column("property", sa.String(length=128), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("resource_type", "property", "value"),
    )


def downgrade() -> None:
    op.drop_table("used_values")
    op.drop_table("scheduled_deletions")
    with op.batch_alter_table("correlation_cases") as batch:
        for name in ("comment", "decided_at", "decided_by", "decided_target", "decision"):
            batch.drop_column(name)
    op.drop_index("ix_property_states_state", table_name="property_states")
    op.drop_table("property_states")
