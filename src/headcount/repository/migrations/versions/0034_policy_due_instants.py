"""policy_due: the instant a transition is due (its day's first instant where the source works)
rather than its day read at the zone furthest ahead, so that a date evaluation reads no source
whose day has not begun yet where it works (issue 14). The index is computed again: the state
rows go, and the next evaluation evaluates everyone once and writes it.

Revision ID: 0034
Revises: 0033
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def _recreate(column: sa.Column[object], index: str, clustered: bool) -> None:
    op.execute("DELETE FROM policy_due_state")
    op.drop_table("policy_due")
    op.create_table(
        "policy_due",
        sa.Column("resource_type", sa.String(128), primary_key=True),
        sa.Column("source_key", sa.Text, primary_key=True),
        sa.Column("source_type", sa.String(128), nullable=False),
        column,
        # One tree, clustered by source: an evaluation's deletes and updates write a page of
        # it, not one of the table and one of its key's index besides (0031's had a rowid).
        sqlite_with_rowid=not clustered,
    )
    op.create_index(index, "policy_due", ["resource_type", str(column.name)])


def upgrade() -> None:
    op.drop_index("ix_policy_due_day", table_name="policy_due")
    _recreate(sa.Column("due_at", sa.BigInteger, nullable=False), "ix_policy_due_at", True)


def downgrade() -> None:
    op.drop_index("ix_policy_due_at", table_name="policy_due")
    _recreate(sa.Column("due_on", sa.Date, nullable=False), "ix_policy_due_day", False)
