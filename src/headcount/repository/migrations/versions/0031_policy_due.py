"""policy_due: the next dated transition of each source, so that a date evaluation reads only
what is due (issue 14). A database migrated here has no index yet: its first date evaluation
evaluates everyone and writes it.

Revision ID: 0031
Revises: 0030
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_due",
        sa.Column("resource_type", sa.String(128), primary_key=True),
        sa.Column("source_key", sa.Text, primary_key=True),
        sa.Column("source_type", sa.String(128), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
    )
    op.create_index("ix_policy_due_day", "policy_due", ["resource_type", "due_on"])
    op.create_table(
        "policy_due_state",
        sa.Column("connector", sa.String(128), primary_key=True),
        sa.Column("policy", sa.String(64), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("versions", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("policy_due_state")
    op.drop_index("ix_policy_due_day", table_name="policy_due")
    op.drop_table("policy_due")
