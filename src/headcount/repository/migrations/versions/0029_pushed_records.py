"""pushed records: pushed HR records: requests, operations and their status (H4) — a slot reserved
for issue 13, filled by its owner

Revision ID: 0029
Revises: 0028
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "push_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("connector", sa.String(128), nullable=False),
        sa.Column("connection", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("token_id", sa.Integer, nullable=False),
        sa.Column("token_label", sa.String(300), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("snapshot_id", sa.Integer, nullable=True, index=True),
        sa.Column("operations", sa.Integer, nullable=False),
        sa.Column("accepted", sa.Integer, nullable=False),
        sa.Column("status_code", sa.Integer, nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.UniqueConstraint("connector", "idempotency_key", name="uq_push_requests_idempotency"),
    )
    op.create_table(
        "push_operations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, nullable=False, index=True),
        sa.Column("connector", sa.String(128), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("bulk_id", sa.String(255), nullable=True),
        sa.Column("key", sa.Text, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("row", sa.Text, nullable=True),
        sa.Column("run_id", sa.Integer, nullable=True),
        sa.Index("ix_push_operations_waiting", "connector", "state"),
    )
    op.create_table(
        "push_snapshots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("connector", sa.String(128), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_id", sa.Integer, nullable=True),
        sa.UniqueConstraint("connector", "name", name="uq_push_snapshots_name"),
    )


def downgrade() -> None:
    op.drop_table("push_snapshots")
    op.drop_table("push_operations")
    op.drop_table("push_requests")
