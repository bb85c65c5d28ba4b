"""workflow instances started by a run: the fingerprint of their change set (a declined change
is not proposed again until HR changes it) and what HR said since (shown to the reviewer)

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workflow_instances") as batch:
        batch.add_column(sa.Column("digest", sa.String(64), nullable=True))
        batch.add_column(sa.Column("notes", sa.Text, nullable=True))
        batch.add_column(sa.Column("started_by_run", sa.Integer, nullable=True))
    op.create_index("ix_workflow_instances_digest", "workflow_instances", ["digest"])
    op.create_index("ix_workflow_instances_run", "workflow_instances", ["started_by_run"])


def downgrade() -> None:
    op.drop_index("ix_workflow_instances_run", "workflow_instances")
    op.drop_index("ix_workflow_instances_digest", "workflow_instances")
    with op.batch_alter_table("workflow_instances") as batch:
        batch.drop_column("started_by_run")
        batch.drop_column("notes")
        batch.drop_column("digest")
