"""notices: users' e-mail and digest preference, out-of-office absences, the escalation state of
tasks, and the outbox of notices written with the decisions that cause them

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(320), nullable=True))
        batch.add_column(sa.Column("delivery", sa.String(16), nullable=False,
                                   server_default="immediate"))
    op.create_table(
        "absences",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_name", sa.String(255), nullable=False),
        sa.Column("starts", sa.Date, nullable=False),
        sa.Column("ends", sa.Date, nullable=False),
        sa.Column("delegate", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_absences_delegate", "absences", ["delegate", "starts"])
    op.create_index("ix_absences_user", "absences", ["user_name", "starts"])
    with op.batch_alter_table("workflow_tasks") as batch:
        batch.add_column(sa.Column("escalation", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("reminders", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("fallback", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(255), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("task_id", sa.Integer, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("link", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim", sa.String(64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("delivered_to", sa.Text, nullable=False, server_default="[]"),
    )
    op.create_index("ix_outbox_pending", "outbox", ["sent_at", "channel", "recipient"])
    op.create_index("ix_outbox_task", "outbox", ["task_id"])


def downgrade() -> None:
    op.drop_table("outbox")
    with op.batch_alter_table("workflow_tasks") as batch:
        batch.drop_column("fallback")
        batch.drop_column("reminders")
        batch.drop_column("escalation")
    op.drop_table("absences")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("delivery")
        batch.drop_column("email")
