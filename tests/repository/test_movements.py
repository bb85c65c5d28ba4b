"""Joiners, movers and leavers per week, counted on a hand-built history in both dialects: who
joined and left by their identity's dates, who moved by the changes of a current record's
organization, title, manager or site in applied runs, each person once a week."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from datedproject import Scenario
from headcount.config.loader import load_project_config
from headcount.repository.movements import Week, movements, week_starts
from headcount.repository.schema import changes, links, resources, runs

TODAY = date(2026, 11, 26)  # a Thursday: its week starts on Monday 23
RECORD = "Directory_UserRecord"


def _identity(conn: sa.Connection, key: str, **dates: str) -> None:
    conn.execute(sa.insert(resources).values(entity_type="Directory_User", key=key,
                                             data=json.dumps({"Identifier": key, **dates}),
                                             hash=0))


def _record(conn: sa.Connection, key: str, user: str, **dates: str) -> None:
    rid = conn.execute(sa.insert(resources).values(
        entity_type=RECORD, key=key, data=json.dumps({"RecordIdentifier": key, **dates}),
        hash=0).returning(resources.c.id)).scalar_one()
    conn.execute(sa.insert(links).values(source_id=rid, navigation=f"{RECORD}.User",
                                         target_type="Directory_User", target_key=user))


def _run(conn: sa.Connection, finished: str, state: str = "succeeded", dry_run: bool = False
         ) -> int:
    at = datetime.fromisoformat(finished).replace(tzinfo=UTC)
    return int(conn.execute(sa.insert(runs).values(
        connector="HR", mode="complete", state=state, dry_run=dry_run, forced=False,
        created_at=at, started_at=at, finished_at=at).returning(runs.c.id)).scalar_one())


def _change(conn: sa.Connection, run: int, kind: str, key: str, **values: Any) -> None:
    conn.execute(sa.insert(changes).values(run_id=run, kind=kind, entity_type=RECORD,
                                           resource_key=key, **values))


def _update(conn: sa.Connection, run: int, key: str, prop: str) -> None:
    _change(conn, run, "update", key, data=json.dumps({prop: ["before", "after"]}))


def _link(conn: sa.Connection, run: int, kind: str, key: str, navigation: str) -> None:
    _change(conn, run, kind, key, navigation=f"{RECORD}.{navigation}", target_key="X")


def test_weeks_end_with_the_week_of_today() -> None:
    starts = week_starts(TODAY)
    assert len(starts) == 13
    assert starts[-1] == date(2026, 11, 23)
    assert starts[0] == date(2026, 8, 31)
    assert all(s.weekday() == 0 for s in starts)


def test_joiners_movers_and_leavers_per_week(tmp_path: Path, db_url: str) -> None:
    scenario = Scenario(tmp_path / "p", db_url)
    with scenario.ctx.engine.begin() as conn:
        _identity(conn, "U1", StartDate="2026-11-24")  # joined this week
        _identity(conn, "U2", StartDate="2026-11-27")  # joins tomorrow: not yet
        _identity(conn, "U3", StartDate="2026-08-30")  # the day before the quarter
        _identity(conn, "U4", StartDate="2026-09-01", EndDate="2026-11-25")
        _identity(conn, "U5", StartDate="2020-01-01", EndDate="2026-11-26")  # still here today
        _identity(conn, "U6", StartDate="2020-01-01", EndDate="2026-10-05")
        _identity(conn, "U7", StartDate="2020-01-01")
        _record(conn, "R1", "U1", StartDate="2026-01-01")
        _record(conn, "R3", "U3", StartDate="2026-01-01")
        _record(conn, "R4", "U4", StartDate="2026-09-01")
        _record(conn, "R5", "U5", StartDate="2026-12-01")  # a future record
        _record(conn, "R6", "U6", StartDate="2020-01-01", EndDate="2026-10-01")  # a past one
        _record(conn, "R7", "U7", StartDate="2020-01-01")
        this_week = _run(conn, "2026-11-24T10:00:00")
        _update(conn, this_week, "R1", "Title")
        _link(conn, this_week, "link_delete", "R1", "Organization")  # the same person, again
        _link(conn, this_week, "link_insert", "R1", "Organization")
        _update(conn, this_week, "R3", "PhoneNumber")  # not a move
        _update(conn, this_week, "R5", "Title")  # not current yet
        _update(conn, this_week, "R6", "Title")  # no longer current
        _update(conn, _run(conn, "2026-11-25T09:00:00", dry_run=True), "R3", "Title")
        _update(conn, _run(conn, "2026-11-25T09:30:00", state="blocked"), "R3", "Title")
        october = _run(conn, "2026-10-07T08:00:00")
        _link(conn, october, "link_delete", "R4", "Manager")
        _update(conn, october, "R7", "Title")
        _update(conn, _run(conn, "2026-10-08T08:00:00"), "R4", "Title")  # U4 again that week
        # A record deleted since: its move counts under its own key.
        _link(conn, _run(conn, "2026-09-15T23:59:00"), "link_insert", "R9", "Site")
        _update(conn, _run(conn, "2026-08-30T12:00:00"), "R7", "Title")  # before the quarter
    with scenario.ctx.engine.connect() as conn:
        weeks = movements(conn, load_project_config(scenario.folder), TODAY)
    busy = {w.starts.isoformat(): (w.joiners, w.movers, w.leavers)
            for w in weeks if (w.joiners, w.movers, w.leavers) != (0, 0, 0)}
    assert busy == {
        "2026-08-31": (1, 0, 0),  # U4 joined
        "2026-09-14": (0, 1, 0),  # R9 moved
        "2026-10-05": (0, 2, 1),  # U4 and U7 moved, U6 left
        "2026-11-23": (1, 1, 1),  # U1 joined and moved, U4 left
    }
    assert len(weeks) == 13
    scenario.ctx.close()


def test_no_workforce_template_no_movements(tmp_path: Path, sqlite_url: str) -> None:
    scenario = Scenario(tmp_path / "p", sqlite_url)
    whole = load_project_config(scenario.folder)
    project = whole.model_copy(update={"connectors": [c for c in whole.connectors
                                                      if c.identifier != "Directory"]})
    with scenario.ctx.engine.connect() as conn:
        weeks = movements(conn, project, TODAY, weeks=2)
    assert weeks == [Week(date(2026, 11, 16), 0, 0, 0), Week(date(2026, 11, 23), 0, 0, 0)]
    scenario.ctx.close()
