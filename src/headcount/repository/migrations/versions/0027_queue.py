"""queue: the PostgreSQL job queue's tables (procrastinate's schema), on PostgreSQL only; SQLite
queues job runs in its own job_runs table (scheduling/local.py)

Procrastinate's objects are its own (tables, types, functions and triggers named
`procrastinate_*`): we apply its `schema.sql` as shipped rather than copying it, so the queue is
exactly the one the installed procrastinate expects. They are not declared in our metadata.

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

from alembic import op
from procrastinate.schema import SchemaManager

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

# Dropped by name pattern: procrastinate's function signatures change between its releases.
DROP_QUEUE = r"""
DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
    procrastinate_workers CASCADE;
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
              WHERE p.proname LIKE 'procrastinate\_%'
                AND p.pronamespace = current_schema()::regnamespace
    LOOP
        EXECUTE 'DROP FUNCTION ' || f || ' CASCADE';
    END LOOP;
END
$$;
DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
    procrastinate_job_status CASCADE;
"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _run_script(SchemaManager.get_schema())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _run_script(DROP_QUEUE)


def _run_script(script: str) -> None:
    # Several statements in one call, and `%` in them literal: psycopg sends a query without
    # parameters as it is.
    cursor = op.get_bind().connection.cursor()
    try:
        cursor.execute(script)
    finally:
        cursor.close()
