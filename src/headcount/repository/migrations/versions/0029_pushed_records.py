"""pushed records: pushed HR records: requests, operations and their status (H4) — a slot reserved
for issue 13, filled by its owner

Revision ID: 0029
Revises: 0028
"""

from __future__ import annotations

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
