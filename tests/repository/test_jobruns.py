"""Job runs (repository/jobruns.py): a job run left running is handed back once, however many
workers find it."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from headcount.repository import jobruns
from headcount.repository.migrate import upgrade
from queuedruns import queued


def test_a_running_job_run_is_interrupted_once(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    try:
        upgrade(engine)
        now = datetime(2030, 5, 6, 7, 0, tzinfo=UTC)
        running = queued(engine, "HR", queued_at=now, state=jobruns.RUNNING)
        ended = queued(engine, "HR", queued_at=now, state=jobruns.SUCCEEDED)
        assert jobruns.interrupt(engine, running, "its worker w:1 stopped", now)
        assert not jobruns.interrupt(engine, running, "its worker w:1 stopped", now)
        assert not jobruns.interrupt(engine, ended, "its worker w:1 stopped", now)
        found = jobruns.get_one(engine, running)
        assert found is not None
        assert (found.state, found.message) == (jobruns.INTERRUPTED, "its worker w:1 stopped")
        done = jobruns.get_one(engine, ended)
        assert done is not None
        assert done.state == jobruns.SUCCEEDED
    finally:
        engine.dispose()
