"""drop the index of links on (target_type, target_key): no query uses it, and a million random
inserts into it were a good share of an initial load

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("links") as batch_op:
        batch_op.drop_index("ix_links_target_type_key")


def downgrade() -> None:
    with op.batch_alter_table("links") as batch_op:
        batch_op.create_index("ix_links_target_type_key", ["target_type", "target_key"])
