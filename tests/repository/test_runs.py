"""One run per connector at a time; runs left running by a dead process become interrupted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from headcount.errors import RunRefused
from headcount.repository import runs as R
from headcount.repository.schema import runs
from hrproject import hr_project, people


def _fake_running(hr: object, pid: int) -> int:
    with hr.ctx.engine.begin() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(sa.insert(runs).values(
            connector="HR", mode="complete", state=R.RUNNING, dry_run=False, forced=False,
            created_at=R.now(), started_at=R.now(), pid=pid, host=os.uname().nodename,
            counters="{}", timings="{}", files="[]").returning(runs.c.id)).scalar_one())


def test_a_second_run_is_refused_with_the_id_of_the_running_one(
        tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(5))
        hr.sync()
        running = _fake_running(hr, os.getpid())
        with pytest.raises(RunRefused, match=f"run {running} of connector HR is running"):
            hr.sync()


def test_a_run_of_a_dead_process_is_marked_interrupted(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(5))
        hr.sync()
        dead = _fake_running(hr, 2**22 + 12345)
        run = hr.sync()
        assert run.state == R.WARNINGS
        with hr.ctx.engine.connect() as conn:
            assert R.get_run(conn, dead).state == R.INTERRUPTED
