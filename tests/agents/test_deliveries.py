"""Deliveries on SQLite and PostgreSQL: chunks are kept until a run reads the delivery, then
`RETENTION` longer; an upload never completed goes after the same time; records stay."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from headcount.agents import bundle, deliveries, heartbeats
from headcount.agents.deliveries import Announce
from headcount.agents.heartbeats import Heartbeat
from headcount.repository.database import begin_write, create_engine
from headcount.repository.migrate import upgrade
from headcount.repository.schema import agent_deliveries

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
DATA = bundle.pack({}, "HR", "complete")


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(db_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def test_chunks_are_deleted_a_retention_after_their_run_read_them_or_after_abandon(
        engine: sa.Engine) -> None:
    digest = hashlib.sha256(DATA).hexdigest()
    with begin_write(engine) as conn:
        agent = heartbeats.beat(conn, 1, Heartbeat("paris", "h", "1", ("HR",)), T0)
        read, waiting, abandoned = (
            deliveries.start(conn, agent, "HR", "token 1 (paris)",
                             Announce("complete", len(DATA), digest, 1), T0)
            for _ in range(3))
        for d in (read, waiting, abandoned):
            deliveries.put_chunk(conn, agent, d, 0, DATA, digest, T0)
        for d in (read, waiting):
            deliveries.complete(conn, agent, d, T0)
        # What given_source records when a run reads a delivery.
        conn.execute(sa.update(agent_deliveries).where(agent_deliveries.c.id == read.id)
                     .values(state=deliveries.TAKEN, taken_at=T0))
        assert deliveries.purge(conn, T0 + deliveries.RETENTION) == 0
        assert deliveries.purge(conn, T0 + deliveries.RETENTION * 2) == 2
        assert deliveries.received(conn, read.id) == []
        assert deliveries.received(conn, abandoned.id) == []
        assert deliveries.received(conn, waiting.id) == [0]  # never read by a run: kept
        assert [deliveries.get(conn, d.id).state for d in (read, waiting, abandoned)] == [
            deliveries.PURGED, deliveries.COMPLETE, deliveries.PURGED]
