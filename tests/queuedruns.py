"""Job runs recorded straight in the job_runs table, for the queue backends' tests."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from headcount.repository import jobruns


def queued(engine: sa.Engine, connector: str, queued_at: datetime, state: str = jobruns.QUEUED,
           not_before: datetime | None = None) -> int:
    """Record a job run; its id."""
    job_run_id = jobruns.insert(engine, jobruns.NewJobRun(
        connector, ("synchronize",), None, "launch", "test", not_before=not_before,
        state=state), queued_at)
    assert job_run_id is not None
    return job_run_id
