"""jobs: job runs: every execution of a configured job, a launch or a delivery, queued and run by
the workers; connectors deactivated by an administrator

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("job", sa.String(128), nullable=True),
        sa.Column("connector", sa.String(128), nullable=False),
        sa.Column("tasks", sa.Text, nullable=False),
        sa.Column("mode", sa.String(32), nullable=True),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("run_ids", sa.Text, nullable=False),
        sa.Column("worker", sa.String(255), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("step", sa.Text, nullable=True),
        sa.Column("delivery", sa.Integer, nullable=True),
        sa.Column("parent", sa.Integer, nullable=True),
        sa.Column("force", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.UniqueConstraint("job", "connector", "scheduled_for", name="uq_job_runs_tick"),
    )
    op.create_index("ix_job_runs_state", "job_runs", ["state", "connector"])
    op.create_table(
        "connector_activity",
        sa.Column("connector", sa.String(128), primary_key=True),
        sa.Column("deactivated_by", sa.String(255), nullable=False),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("connector_activity")
    op.drop_index("ix_job_runs_state", "job_runs")
    op.drop_table("job_runs")
