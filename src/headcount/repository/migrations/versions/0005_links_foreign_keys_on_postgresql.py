"""links reference resources with foreign keys on PostgreSQL

Concurrent runs of different connectors can meet there: one deletes a resource while another
links to it. The keys make the database itself empty `target_id` (the reference becomes pending,
and resolves when its target returns) and drop the links of a deleted source. SQLite has one
writer at a time, so the runs' own statements suffice and a million-row load is spared the checks.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("UPDATE links SET target_id = NULL WHERE target_id IS NOT NULL AND NOT EXISTS "
               "(SELECT 1 FROM resources r WHERE r.id = links.target_id)")
    op.execute("DELETE FROM links WHERE NOT EXISTS "
               "(SELECT 1 FROM resources r WHERE r.id = links.source_id)")
    op.create_foreign_key("fk_links_source", "links", "resources", ["source_id"], ["id"],
                          ondelete="CASCADE")
    op.create_foreign_key("fk_links_target", "links", "resources", ["target_id"], ["id"],
                          ondelete="SET NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint("fk_links_target", "links", type_="foreignkey")
    op.drop_constraint("fk_links_source", "links", type_="foreignkey")
