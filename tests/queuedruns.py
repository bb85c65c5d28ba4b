"""Job runs recorded straight in the job_runs table, for the queue backends' tests."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

job_runs = sa.table("job_runs", sa.column("id", sa.Integer), sa.column("connector", sa.String),
                    sa.column("tasks", sa.Text), sa.column("trigger", sa.String),
                    sa.column("actor", sa.String), sa.column("state", sa.String),
                    sa.column("queued_at", sa.DateTime(timezone=True)),
                    sa.column("not_before", sa.DateTime(timezone=True)),
                    sa.column("attempts", sa.Integer), sa.column("run_ids", sa.Text),
                    sa.column("force", sa.Boolean))


def queued(engine: sa.Engine, connector: str, queued_at: datetime, state: str = "queued",
           not_before: datetime | None = None) -> int:
    """Record a job run; its id."""
    with engine.begin() as conn:
        job_run_id = conn.execute(
            sa.insert(job_runs).values(
                connector=connector, tasks='["synchronize"]', trigger="launch", actor="test",
                state=state, queued_at=queued_at, not_before=not_before, attempts=0,
                run_ids="[]", force=False)
            .returning(job_runs.c.id)).scalar_one()
    assert isinstance(job_run_id, int)
    return job_run_id


def ensure_job_runs(engine: sa.Engine) -> None:
    """TEMPORARY until the scheduling branch's migration 0026 is merged: its table's columns
    that the queue reads."""
    if sa.inspect(engine).has_table("job_runs"):
        return
    table = sa.Table("job_runs", sa.MetaData(),
                     *[sa.Column(c.name, c.type, primary_key=c.name == "id") for c in job_runs.c])
    table.create(engine)
