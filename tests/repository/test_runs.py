"""One run per connector at a time; a run left running by a dead process is interrupted."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from headcount.errors import RunRefused
from headcount.repository import runs as R
from headcount.repository.locks import RunLock
from headcount.repository.schema import runs
from hrproject import HRProject, hr_project, people


def _fake_running(hr: object) -> int:
    with hr.ctx.engine.begin() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(sa.insert(runs).values(
            connector="HR", mode="complete", state=R.RUNNING, dry_run=False, forced=False,
            created_at=R.now(), started_at=R.now(), pid=1, host="elsewhere",
            counters="{}", timings="{}", files="[]").returning(runs.c.id)).scalar_one())


def test_a_second_run_is_refused_with_the_id_of_the_running_one(
        tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(5))
        hr.sync()
        running = _fake_running(hr)
        with RunLock(hr.ctx.engine, "HR") as lock:
            assert lock.try_acquire()
            with pytest.raises(RunRefused, match=f"run {running} of connector HR is running"):
                hr.sync()


def test_the_lock_is_freed_when_its_process_dies(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(5))
        hr.sync()
        script = ("import sys, sqlalchemy as sa; from headcount.repository.locks import RunLock;"
                  "lock = RunLock(sa.create_engine(sys.argv[1]), 'HR');"
                  "assert lock.try_acquire(); print('held', flush=True); sys.stdin.read()")
        child = subprocess.Popen([sys.executable, "-c", script, db_url], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, env=os.environ)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"held"
        dead = _fake_running(hr)
        with pytest.raises(RunRefused):
            hr.sync()
        child.kill()
        child.communicate()
        _wait_until_the_server_saw_it_die(hr)
        run = hr.sync()
        assert run.state == R.WARNINGS
        with hr.ctx.engine.connect() as conn:
            assert R.get_run(conn, dead).state == R.INTERRUPTED


def _wait_until_the_server_saw_it_die(hr: HRProject) -> None:
    """PostgreSQL frees a dead client's advisory locks once its backend has noticed the closed
    socket, a moment after the process is gone; SQLite's file lock went with the process."""
    if hr.ctx.engine.dialect.name != "postgresql":
        return
    for _ in range(400):
        with hr.ctx.engine.connect() as conn:
            held = conn.execute(sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND pid <> pg_backend_pid() AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())")).scalar_one()
        if not held:
            return
        time.sleep(0.05)
    pytest.fail("the dead client's advisory lock was never freed")
