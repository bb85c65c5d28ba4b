"""scim: the inbound SCIM service's Users, their current documents per connector (H5)

Revision ID: 0030
Revises: 0029
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scim_users",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("connector", sa.String(128), nullable=False),
        sa.Column("user_name", sa.String(512), nullable=False),
        sa.Column("user_name_key", sa.String(512), nullable=False),
        sa.Column("external_id", sa.String(512), nullable=True),
        sa.Column("hr_key", sa.Text, nullable=True),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("connector", "user_name_key", name="uq_scim_users_user_name"),
    )


def downgrade() -> None:
    op.drop_table("scim_users")
