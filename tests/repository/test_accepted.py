"""The accepted snapshot always equals what the repository holds, after every kind of run."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import sqlalchemy as sa

from headcount.jobs.blocked import resume
from headcount.repository import accepted
from headcount.repository import runs as R
from headcount.repository.schema import connector_state
from hrproject import PEOPLE_HEADER, HRProject, hr_project, people


def _check(hr: HRProject) -> None:
    with hr.ctx.engine.connect() as conn:
        version = conn.execute(sa.select(connector_state.c.version)).scalar_one()
        for et in ("HR_Person", "HR_Org"):
            snap = accepted.load(conn, et, version)
            assert snap is not None, f"{et}: no current snapshot"
            rows = conn.execute(sa.text("SELECT key, hash FROM resources WHERE entity_type = :e"),
                                {"e": et}).all()
            assert sorted(snap.rows()) == sorted((k, h) for k, h in rows)


def test_snapshot_follows_every_run(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(40))
        hr.sync()
        _check(hr)
        rows = people(40)
        rows[3][1] = "Changed"
        hr.write_people(rows)
        assert hr.sync().state == R.SUCCEEDED
        _check(hr)
        hr.write_people([["E2", "", "", "", "", "", "delete"],
                         ["E41", "New", "One", "01/01/2021", "E1", "O1", "insert"]],
                        name="people_delta.csv", header=[*PEOPLE_HEADER, "Command"])
        assert hr.sync(mode="incremental").state in (R.SUCCEEDED, R.WARNINGS)
        _check(hr)
        hr.write_people(people(20))
        blocked = hr.sync()
        assert blocked.state == R.BLOCKED
        resume(hr.ctx, blocked.id, "confirmed")
        _check(hr)
        assert hr.sync().counters["deleted"] == 0


def test_a_stale_snapshot_is_never_used(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(10))
        hr.sync()
        with hr.ctx.engine.begin() as conn:
            version = conn.execute(sa.select(connector_state.c.version)).scalar_one()
            accepted.save(conn, "HR_Person", version - 1,
                          pl.DataFrame(schema=accepted.SCHEMA))
            assert accepted.load(conn, "HR_Person", version) is None
        run = hr.sync()
        assert run.counters["inserted"] == 0
        _check(hr)
