"""Date evaluations read only what is due (SPEC §8, headcount.policy.due): the sources whose
start, end, effective record, override expiry or retention purge has come since the last
evaluation — all of a pause's, once — and they give exactly the orders a full evaluation
gives."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql
from sqlalchemy.engine import make_url

from datedhistories import BASE, days, repository, run
from datedproject import DAY_ONE, Scenario
from headcount.jobs.evaluation import evaluate_policy
from headcount.repository import runs
from headcount.repository.schema import policy_due_state
from headcount.reviews.edits import ManualEdit, edit_resource
from servers import unavailable

RECORD = "Directory_UserRecord"
Databases = Callable[[], AbstractContextManager[str]]


def _due(run: runs.RunRecord) -> object:
    due = run.counters.get("due")
    assert isinstance(due, dict), run.counters
    return due.get("sources")


def _count(run: runs.RunRecord) -> int:
    due = _due(run)
    assert isinstance(due, int), due
    return due


def test_a_day_with_nothing_due_reads_no_source(scenario: Scenario) -> None:
    scenario.file(DAY_ONE)
    scenario.sync("2026-11-20T08:00:00")
    quiet = scenario.evaluate("2026-11-22T08:00:00")
    assert _due(quiet) == 0
    assert not quiet.counters.get("orders")


def test_a_pause_is_caught_up_once(scenario: Scenario) -> None:
    # E5 starts on the 26th, E7 leaves after the 26th, E6 starts on 15 December.
    scenario.file(DAY_ONE)
    scenario.sync("2026-11-20T08:00:00")
    assert (scenario.state("E5"), scenario.state("E7")) == ("pre-hire", "active")
    week = scenario.evaluate("2026-11-28T08:00:00")
    assert _count(week) >= 2
    assert (scenario.state("E5"), scenario.state("E7"), scenario.state("E6")) == \
        ("active", "left", "pre-hire")
    again = scenario.evaluate("2026-11-29T08:00:00")
    assert _due(again) == 0
    assert not again.counters.get("orders")
    december = scenario.evaluate("2026-12-16T08:00:00")
    assert scenario.state("E6") == "active"
    assert "orders" in december.counters


def test_a_transition_is_due_on_its_day_where_the_person_works(scenario: Scenario) -> None:
    # E7 works in Tokyo: their last day, the 26th, is over at 15:00 UTC.
    scenario.file(DAY_ONE)
    scenario.sync("2026-11-20T08:00:00")
    scenario.evaluate("2026-11-26T14:00:00")
    assert scenario.state("E7") == "active"
    scenario.evaluate("2026-11-26T15:00:00")
    assert scenario.state("E7") == "left"


def test_a_day_not_begun_where_the_person_works_reads_no_one(scenario: Scenario) -> None:
    # E5 starts on the 26th in Paris: the day is already the 26th in Tokyo and Kiribati at
    # noon UTC on the 25th, not in Paris until 23:00 UTC.
    scenario.file(DAY_ONE)
    scenario.sync("2026-11-20T08:00:00")
    assert _due(scenario.evaluate("2026-11-25T12:00:00")) == 0
    assert _due(scenario.evaluate("2026-11-25T22:59:00")) == 0
    assert scenario.state("E5") == "pre-hire"
    midnight = scenario.evaluate("2026-11-25T23:00:00")
    assert _count(midnight) >= 1
    assert scenario.state("E5") == "active"


def test_an_index_never_written_evaluates_everyone_once(scenario: Scenario) -> None:
    scenario.file(DAY_ONE)
    scenario.sync("2026-11-20T08:00:00")
    with scenario.ctx.engine.begin() as conn:  # as a database just migrated to 0031
        conn.execute(sa.delete(policy_due_state))
    first = scenario.evaluate("2026-11-21T08:00:00")
    assert _due(first) == "all"
    assert _due(scenario.evaluate("2026-11-22T08:00:00")) == 0


def test_an_evaluation_back_in_time_evaluates_everyone(scenario: Scenario) -> None:
    scenario.file(DAY_ONE)
    scenario.sync("2026-11-27T08:00:00")
    back = scenario.evaluate("2026-11-25T08:00:00")
    assert _due(back) == "all"
    assert scenario.state("E5") == "pre-hire"


def test_a_purge_is_due_although_its_source_left(scenario: Scenario) -> None:
    scenario.file(DAY_ONE)
    scenario.sync("2026-11-20T08:00:00")
    scenario.file([p for p in DAY_ONE if p[0] != "E8"])
    scenario.sync("2026-11-21T08:00:00")
    assert scenario.values("Directory_User", "E8")["State"] == "left"
    scenario.evaluate("2026-12-15T08:00:00")
    assert "E8" in scenario.keys("Directory_User")
    purge = scenario.evaluate("2026-12-25T08:00:00")
    assert "E8" not in scenario.keys("Directory_User")
    assert "E8" not in scenario.keys(RECORD)
    assert _count(purge) >= 1


@contextmanager
def _sqlite_database(folder: Path) -> Iterator[str]:
    yield f"sqlite:///{folder}/{uuid.uuid4().hex[:8]}.db"


@contextmanager
def _postgres_database(server: Any) -> Iterator[str]:
    if server.connection is None or server.url is None:
        unavailable("PostgreSQL", server.error or "unknown error")
        raise AssertionError("unreachable")
    name = f"hc_{uuid.uuid4().hex[:12]}"
    server.connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(server.url).set(database=name).render_as_string(hide_password=False)
    finally:
        server.connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Databases:
    """A fresh database per call: each example of a property test starts empty."""
    if request.param == "sqlite":
        return lambda: _sqlite_database(tmp_path)
    server = request.getfixturevalue("postgres_server")  # tests/conftest.py
    return lambda: _postgres_database(server)


def _full(s: Scenario, minutes: int) -> runs.RunRecord:
    with s.ctx.engine.begin() as conn:  # no index: everyone is evaluated
        conn.execute(sa.delete(policy_due_state))
    return _evaluate(s, minutes)


def _evaluate(s: Scenario, minutes: int) -> runs.RunRecord:
    record = evaluate_policy(s.ctx, "HR", now=BASE + timedelta(minutes=minutes))
    assert record.state == runs.SUCCEEDED, record.message
    return record


def _override(s: Scenario, key: str, minutes: int, lasts: int) -> None:
    at = BASE + timedelta(minutes=minutes)
    project = s.ctx.deployed()[1]
    edit_resource(s.ctx.engine, project, ManualEdit(RECORD, key, {"Title": "Interim"},
                                                    "property test",
                                                    at + timedelta(minutes=lasts)),
                  "alice", at)


@pytest.mark.slow
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(sequence=days(), data=st.data())
def test_the_due_sources_give_the_orders_of_a_full_evaluation(
        databases: Databases, sequence: list[tuple[int, list[tuple[str, ...]]]],
        data: st.DataObject) -> None:
    day = 24 * 60
    with tempfile.TemporaryDirectory() as folder, databases() as one, databases() as other:
        indexed = Scenario(Path(folder) / "indexed", one)
        full = Scenario(Path(folder) / "full", other)
        try:
            ends = [when for when, _ in sequence[1:]] + [sequence[-1][0] + 45]
            for (when, people), until in zip(sequence, ends, strict=True):
                for s in (indexed, full):
                    s.file(people)
                    run(s, when)
                records = indexed.keys(RECORD)
                override: bool = data.draw(st.booleans(), label="override")
                if records and override:
                    key = data.draw(st.sampled_from(records), label="record")
                    lasts = data.draw(st.integers(1, 20 * day), label="override lasts")
                    for s in (indexed, full):
                        _override(s, key, when * day + 60, lasts)
                # Evaluations between this file and the next, with pauses of days.
                instants = sorted(data.draw(st.lists(
                    st.integers(when * day + 120, max(when * day + 120, until * day - 1)),
                    max_size=5, unique=True), label="evaluations"))
                for minutes in instants:
                    by_index, everyone = _evaluate(indexed, minutes), _full(full, minutes)
                    assert _due(by_index) != "all"  # the index was read
                    assert indexed.listed(by_index) == full.listed(everyone), minutes
            assert repository(indexed) == repository(full)
        finally:
            indexed.ctx.close()
            full.ctx.close()
