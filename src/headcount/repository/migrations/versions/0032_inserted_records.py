"""inserted_records: a run applied at once leaves the record of an insert to its resource (the
change row's data is NULL); the record is copied here when the resource first changes or goes
(issue 14: an initial load writes each record once).

Revision ID: 0032
Revises: 0031
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inserted_records",
        sa.Column("change_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("data", sa.Text, nullable=False),
    )


def downgrade() -> None:
    # The records go back into their change rows, where older code reads them.
    op.execute("UPDATE changes SET data = (SELECT k.data FROM inserted_records k "
               "WHERE k.change_id = changes.id) WHERE id IN (SELECT change_id FROM "
               "inserted_records)")
    op.execute("UPDATE changes SET data = (SELECT r.data FROM resources r "
               "WHERE r.entity_type = changes.entity_type AND r.key = changes.resource_key) "
               "WHERE kind = 'insert' AND data IS NULL")
    op.drop_table("inserted_records")
