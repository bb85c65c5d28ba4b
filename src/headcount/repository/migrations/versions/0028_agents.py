"""agents: remote agents: their heartbeats, leases of work and deliveries (H3)

Revision ID: 0028
Revises: 0027
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("connectors", sa.Text, nullable=False),
        sa.Column("interval_seconds", sa.Integer, nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_heartbeat", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("token_id", "name", name="uq_agents_token_name"),
    )
    op.create_table(
        "agent_work",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("connector", sa.String(255), nullable=False),
        sa.Column("mode", sa.String(32), nullable=True),
        sa.Column("job_run_id", sa.Integer, nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("agent_id", sa.Integer, nullable=True),
        sa.Column("leased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_expires", sa.DateTime(timezone=True), nullable=True),
        sa.Column("leases", sa.Integer, nullable=False, server_default="0"),
        sa.Column("delivery_id", sa.Integer, nullable=True),
    )
    op.create_index("ix_agent_work_connector", "agent_work", ["connector"])
    op.create_table(
        "agent_deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("connector", sa.String(255), nullable=False),
        sa.Column("mode", sa.String(32), nullable=True),
        sa.Column("agent_id", sa.Integer, nullable=False),
        sa.Column("work_id", sa.Integer, nullable=True),
        sa.Column("token_label", sa.String(300), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("chunks", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("job_run_id", sa.Integer, nullable=True),
    )
    op.create_table(
        "agent_chunks",
        sa.Column("delivery_id", sa.Integer, primary_key=True),
        sa.Column("n", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("agent_chunks")
    op.drop_table("agent_deliveries")
    op.drop_index("ix_agent_work_connector", "agent_work")
    op.drop_table("agent_work")
    op.drop_table("agents")
