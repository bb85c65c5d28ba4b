"""My Tasks by age (open tasks by opening time) and the homonym index: each person-named
resource's normalised names and birth date, for homonym detection on creation workflows

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_workflow_tasks_open_at", "workflow_tasks", ["open", "opened_at"])
    op.create_table(
        "homonym_names",
        sa.Column("scope", sa.String(600), primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("hash", sa.BigInteger, nullable=False),
        sa.Column("last_name", sa.Text, nullable=False),
        sa.Column("first_name", sa.Text, nullable=False),
        sa.Column("birth_date", sa.Text, nullable=True),
    )
    op.create_index("ix_homonym_names_names", "homonym_names",
                    ["scope", "last_name", "first_name"])
    op.create_index("ix_homonym_names_birth", "homonym_names", ["scope", "birth_date"])


def downgrade() -> None:
    op.drop_table("homonym_names")
    op.drop_index("ix_workflow_tasks_open_at", "workflow_tasks")
