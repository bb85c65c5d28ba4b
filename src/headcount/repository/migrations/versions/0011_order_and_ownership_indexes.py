"""indexes: the orders of a target or a source, the source owning a target

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The identity page and provenance look orders and owners up by target and by source.
    op.create_index("ix_provisioning_orders_target", "provisioning_orders",
                    ["resource_type", "target_key"])
    op.create_index("ix_provisioning_orders_source", "provisioning_orders",
                    ["resource_type", "source_key"])
    op.create_index("ix_ownership_target", "ownership", ["resource_type", "target_key"])


def downgrade() -> None:
    op.drop_index("ix_ownership_target", table_name="ownership")
    op.drop_index("ix_provisioning_orders_source", table_name="provisioning_orders")
    op.drop_index("ix_provisioning_orders_target", table_name="provisioning_orders")
