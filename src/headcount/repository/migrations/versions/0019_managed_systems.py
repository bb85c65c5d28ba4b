"""managed systems: the accounts' review status, what decisions keep in force, every decision,
and the deprovisioning orders (SPEC §10)

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_status",
        sa.Column("system", sa.String(128), primary_key=True),
        sa.Column("account_key", sa.Text, primary_key=True),
        sa.Column("display", sa.Text, nullable=False),
        sa.Column("owner_key", sa.Text, nullable=True),
        sa.Column("owner_by", sa.String(16), nullable=True),
        sa.Column("owner_state", sa.String(32), nullable=True),
        sa.Column("suggestion_key", sa.Text, nullable=True),
        sa.Column("suggestion_score", sa.Integer, nullable=True),
        sa.Column("suggestion_why", sa.Text, nullable=True),
        sa.Column("service", sa.Boolean, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("last_logon", sa.String(32), nullable=True),
        sa.Column("created", sa.String(32), nullable=True),
    )
    op.create_index("ix_account_status_owner", "account_status", ["owner_key"])
    op.create_index("ix_account_status_orphans", "account_status",
                    ["system", "owner_key", "service"])
    op.create_table(
        "account_marks",
        sa.Column("system", sa.String(128), primary_key=True),
        sa.Column("account_key", sa.Text, primary_key=True),
        sa.Column("service_responsible", sa.Text, nullable=True),
        sa.Column("service_until", sa.String(10), nullable=True),
        sa.Column("postponed_until", sa.String(10), nullable=True),
        sa.Column("order_id", sa.Integer, nullable=True),
    )
    op.create_table(
        "account_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("system", sa.String(128), nullable=False),
        sa.Column("account_key", sa.Text, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("owner_key", sa.Text, nullable=True),
        sa.Column("responsible", sa.Text, nullable=True),
        sa.Column("until", sa.String(10), nullable=True),
        sa.Column("order_id", sa.Integer, nullable=True),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_account_decisions_account", "account_decisions",
                    ["system", "account_key"])
    op.create_table(
        "deprovisioning_orders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("system", sa.String(128), nullable=False),
        sa.Column("account_key", sa.Text, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delete_on", sa.String(10), nullable=True),
        sa.Column("undo_until", sa.String(10), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(255), nullable=True),
    )
    op.create_index("ix_deprovisioning_orders_system", "deprovisioning_orders",
                    ["system", "state", "account_key"])


def downgrade() -> None:
    for table in ("deprovisioning_orders", "account_decisions", "account_marks",
                  "account_status"):
        op.drop_table(table)
