"""The Job Execution list's filters (issue 12): connector, state, who launched a run and the days
it was created, with the total; who launched each run, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from headcount.repository import runs as R
from headcount.repository.runlist import RunFilter, actors, find_runs, launchers
from headcount.repository.schema import runs
from hrproject import hr_project

NOV_28 = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)
NOV_29 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
NOV_30 = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)


def _run(conn: sa.Connection, connector: str, state: str, at: datetime) -> int:
    return int(conn.execute(sa.insert(runs).values(
        connector=connector, mode="complete", state=state, dry_run=False, forced=False,
        created_at=at, started_at=at, finished_at=at, counters="{}", timings="{}",
        files="[]").returning(runs.c.id)).scalar_one())


def test_the_filters_select_the_right_runs(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        with hr.ctx.engine.begin() as conn:
            first = _run(conn, "HR", R.SUCCEEDED, NOV_28)
            second = _run(conn, "HR", R.FAILED, NOV_29)
            third = _run(conn, "Directory", R.SUCCEEDED, NOV_30)
            fourth = _run(conn, "HR", R.BLOCKED, NOV_30)
            # What the pages and the API record when a person launches a run.
            R.audit(conn, "alice", "launch", f"run {second} of HR", None)
            R.audit(conn, "bob", "evaluate", f"run {fourth} of HR", None)
            R.audit(conn, "carol", "resume", f"run {fourth}", "checked")

        def ids(chosen: RunFilter, limit: int | None = None) -> tuple[int, list[int]]:
            with hr.ctx.engine.connect() as conn:
                total, found = find_runs(conn, chosen, limit)
            return total, [r.id for r in found]

        assert ids(RunFilter()) == (4, [fourth, third, second, first])
        assert ids(RunFilter(), limit=2) == (4, [fourth, third])
        assert ids(RunFilter(connector="HR")) == (3, [fourth, second, first])
        assert ids(RunFilter(state=R.SUCCEEDED)) == (2, [third, first])
        assert ids(RunFilter(actor="alice")) == (1, [second])
        assert ids(RunFilter(actor="carol")) == (0, [])
        assert ids(RunFilter(since=datetime(2026, 11, 29, tzinfo=UTC),
                             before=datetime(2026, 11, 30, tzinfo=UTC))) == (1, [second])
        assert ids(RunFilter(connector="HR", since=datetime(2026, 11, 29, tzinfo=UTC))) == (
            2, [fourth, second])
        with hr.ctx.engine.connect() as conn:
            _, every = find_runs(conn, RunFilter(), None)
            assert launchers(conn, every) == {second: "alice", fourth: "bob"}
            assert actors(conn) == ["alice", "bob"]
