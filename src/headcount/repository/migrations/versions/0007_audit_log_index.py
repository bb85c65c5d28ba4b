"""index the audit log by action and time: every log-in counts the recent failures of its name

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_action_target_at", "audit_log", ["action", "target", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_action_target_at", table_name="audit_log")
