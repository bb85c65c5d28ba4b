"""queue: the PostgreSQL job queue's tables (procrastinate's schema), on PostgreSQL only (H2) — a
slot reserved for issue 13, filled by its owner

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
