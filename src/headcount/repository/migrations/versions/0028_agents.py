"""agents: remote agents: their heartbeats, leases of work and deliveries (H3) — a slot reserved
for issue 13, filled by its owner

Revision ID: 0028
Revises: 0027
"""

from __future__ import annotations

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
