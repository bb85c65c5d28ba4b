"""workflows: instances with their change set, their tasks (activities), their decisions

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workflow_instances",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("workflow", sa.String(128), nullable=False),
        sa.Column("entity_type", sa.String(128), nullable=False),
        sa.Column("subject_key", sa.Text, nullable=True),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("change_set", sa.Text, nullable=False),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("started_by", sa.String(255), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_id", sa.Integer, nullable=True),
    )
    op.create_index("ix_workflow_instances_subject", "workflow_instances",
                    ["entity_type", "subject_key"])
    op.create_index("ix_workflow_instances_state", "workflow_instances", ["state"])
    op.create_table(
        "workflow_tasks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("instance_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("activity", sa.String(128), nullable=False),
        sa.Column("template", sa.String(32), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("open", sa.Boolean, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delegated_to", sa.String(255), nullable=True),
        sa.Column("approvals", sa.Integer, nullable=False),
    )
    op.create_index("ix_workflow_tasks_open", "workflow_tasks", ["open", "instance_id"])
    op.create_index("ix_workflow_tasks_instance", "workflow_tasks", ["instance_id", "position"])
    op.create_table(
        "workflow_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("instance_id", sa.Integer, nullable=False),
        sa.Column("task_id", sa.Integer, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("transition", sa.String(300), nullable=False),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("delegated_to", sa.String(255), nullable=True),
    )
    op.create_index("ix_workflow_decisions_instance", "workflow_decisions",
                    ["instance_id", "id"])


def downgrade() -> None:
    op.drop_table("workflow_decisions")
    op.drop_table("workflow_tasks")
    op.drop_table("workflow_instances")
