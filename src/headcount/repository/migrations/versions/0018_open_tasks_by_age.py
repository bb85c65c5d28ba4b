"""open workflow tasks by age: My Tasks lists them the longest waiting first, a page at a time,
without sorting every open task (bench/workflow_bench.py, 10,000 pending reviews)

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_workflow_tasks_open_age", "workflow_tasks", ["open", "opened_at", "id"])
    # It serves what 0017's (open, opened_at) served, and the inbox's order by id too.
    op.drop_index("ix_workflow_tasks_open_at", "workflow_tasks")


def downgrade() -> None:
    op.create_index("ix_workflow_tasks_open_at", "workflow_tasks", ["open", "opened_at"])
    op.drop_index("ix_workflow_tasks_open_age", "workflow_tasks")
