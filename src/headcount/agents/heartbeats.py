"""Who the agents are and when each last said so: an agent is named by its token and the name it
gives; each heartbeat records its host, version and connectors and renews the leases it holds."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from headcount.errors import HeadcountError
from headcount.repository.schema import agent_work, agents

# An agent is late, and its leases lapse, after this many of its heartbeat intervals.
LATE_AFTER = 3
DEFAULT_INTERVAL = 30


class AgentError(HeadcountError):
    """What an agent asked for cannot be done (an unknown agent, a connector its token does
    not reach)."""


@dataclass(frozen=True)
class Heartbeat:
    name: str
    host: str
    version: str
    connectors: tuple[str, ...]
    interval_seconds: int = DEFAULT_INTERVAL


@dataclass(frozen=True)
class Agent:
    id: int
    token_id: int
    name: str
    host: str
    version: str
    connectors: tuple[str, ...]
    interval_seconds: int
    first_seen: datetime
    last_heartbeat: datetime

    def late(self, now: datetime) -> bool:
        return now - self.last_heartbeat > self.lease

    @property
    def lease(self) -> timedelta:
        """How long a lease lasts without a heartbeat of its holder."""
        return timedelta(seconds=LATE_AFTER * self.interval_seconds)

    @property
    def label(self) -> str:
        return f"agent {self.name} on {self.host}"


def _utc(at: datetime) -> datetime:
    # SQLite keeps no offset: stored in UTC.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _agent(row: sa.Row[tuple[object, ...]]) -> Agent:
    m = row._mapping
    return Agent(id=int(m["id"]), token_id=int(m["token_id"]), name=str(m["name"]),
                 host=str(m["host"]), version=str(m["version"]),
                 connectors=tuple(json.loads(m["connectors"])),
                 interval_seconds=int(m["interval_seconds"]), first_seen=_utc(m["first_seen"]),
                 last_heartbeat=_utc(m["last_heartbeat"]))


def beat(conn: sa.Connection, token_id: int, heartbeat: Heartbeat, now: datetime) -> Agent:
    """Record `heartbeat` (the first one registers the agent) and renew its leases — even a
    lapsed one that no other agent has taken since."""
    if not 1 <= heartbeat.interval_seconds <= 3600:
        raise AgentError(f"a heartbeat interval is 1 to 3600 seconds, not "
                         f"{heartbeat.interval_seconds}")
    values = {"host": heartbeat.host[:255], "version": heartbeat.version[:64],
              "connectors": json.dumps(list(heartbeat.connectors)),
              "interval_seconds": heartbeat.interval_seconds, "last_heartbeat": now}
    updated = conn.execute(sa.update(agents).where(
        agents.c.token_id == token_id, agents.c.name == heartbeat.name).values(**values))
    if updated.rowcount == 0:
        conn.execute(sa.insert(agents).values(token_id=token_id, name=heartbeat.name[:255],
                                              first_seen=now, **values))
    agent = find(conn, token_id, heartbeat.name)
    assert agent is not None
    conn.execute(sa.update(agent_work).where(
        agent_work.c.agent_id == agent.id, agent_work.c.state == "open")
        .values(lease_expires=now + agent.lease))
    return agent


def find(conn: sa.Connection, token_id: int, name: str) -> Agent | None:
    row = conn.execute(sa.select(agents).where(agents.c.token_id == token_id,
                                               agents.c.name == name)).first()
    return None if row is None else _agent(row)


def known(conn: sa.Connection, token_id: int, name: str) -> Agent:
    """The agent `name` of the token, which must have sent a heartbeat."""
    agent = find(conn, token_id, name)
    if agent is None:
        raise AgentError(f"no agent {name!r} for this token: send a heartbeat first")
    return agent


def get(conn: sa.Connection, agent_id: int) -> Agent:
    row = conn.execute(sa.select(agents).where(agents.c.id == agent_id)).first()
    if row is None:
        raise AgentError(f"no agent {agent_id}")
    return _agent(row)


def list_agents(conn: sa.Connection) -> list[Agent]:
    return [_agent(r) for r in conn.execute(sa.select(agents).order_by(agents.c.name,
                                                                        agents.c.id))]
