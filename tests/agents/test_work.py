"""Leases of work on SQLite and PostgreSQL: the oldest item goes first, a live lease keeps it from
other agents, heartbeats renew it, and a lapsed one lets a second agent take the item — after
which the first can no longer deliver it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from headcount.agents import heartbeats, work
from headcount.agents.heartbeats import Heartbeat
from headcount.agents.work import LeaseLost
from headcount.repository.database import begin_write, create_engine
from headcount.repository.migrate import upgrade

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(db_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def beat(conn: sa.Connection, name: str, at: datetime) -> heartbeats.Agent:
    return heartbeats.beat(conn, 1, Heartbeat(name, f"{name}.example", "1.0", ("HR",), 10), at)


def test_the_oldest_item_is_leased_once_and_held_while_heartbeats_come(
        engine: sa.Engine) -> None:
    with begin_write(engine) as conn:
        first = work.post(conn, "HR", "complete", 7, T0)
        second = work.post(conn, "HR", "incremental", 8, T0 + timedelta(seconds=1))
        work.post(conn, "AD", None, 9, T0)
        paris, lyon = beat(conn, "paris", T0), beat(conn, "lyon", T0)
        taken = work.lease(conn, paris, ["hr"], T0)
        assert taken is not None
        assert (taken.id, taken.mode, taken.job_run_id) == (first, "complete", 7)
        assert taken.lease_expires == T0 + timedelta(seconds=30)  # 3 intervals of 10 s
        other = work.lease(conn, lyon, ["HR"], T0)
        assert other is not None
        assert other.id == second
        assert work.lease(conn, lyon, ["HR"], T0) is None
        # Heartbeats keep the leases alive past their first expiry.
        beat(conn, "paris", T0 + timedelta(seconds=25))
        beat(conn, "lyon", T0 + timedelta(seconds=25))
        assert work.lease(conn, lyon, ["HR"], T0 + timedelta(seconds=40)) is None
        assert work.get(conn, first).lease_expires == T0 + timedelta(seconds=55)


def test_a_dead_agents_lease_lapses_and_a_second_agent_takes_the_item(
        engine: sa.Engine) -> None:
    with begin_write(engine) as conn:
        item = work.post(conn, "HR", "complete", 7, T0)
        paris, lyon = beat(conn, "paris", T0), beat(conn, "lyon", T0)
        assert work.lease(conn, paris, ["HR"], T0) is not None
        later = T0 + timedelta(seconds=31)  # paris sent no heartbeat: it is dead
        assert paris.late(later)
        taken = work.lease(conn, lyon, ["HR"], later)
        assert taken is not None
        assert (taken.id, taken.agent_id, taken.leases) == (item, lyon.id, 2)
        # paris comes back: its work is gone, and it cannot deliver it.
        with pytest.raises(LeaseLost, match="leased by another agent"):
            work.held(conn, paris, item, "HR", later)
        with pytest.raises(LeaseLost):
            work.deliver(conn, paris, item, 1)
        work.deliver(conn, lyon, item, 1)
        assert work.get(conn, item).state == work.DELIVERED
        assert work.lease(conn, paris, ["HR"], later) is None
        assert work.open_items(conn) == []
