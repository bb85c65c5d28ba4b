"""jobs: job runs: every execution of a configured job, a launch or a delivery, queued and run by
the workers (H1) — a slot reserved for issue 13, filled by its owner

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
