"""Work for the agents: a job run of a connector served by remote agents posts an item; an agent
leases the oldest one of its connectors; its heartbeats renew the lease, and a lease that lapses
(the agent died) lets another agent take the item — several agents may serve one connector."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from headcount.agents.heartbeats import Agent
from headcount.errors import RunRefused
from headcount.repository.schema import agent_work

OPEN = "open"
DELIVERED = "delivered"


class LeaseLost(RunRefused):
    """The agent no longer holds the work it delivers: its lease lapsed and another took it."""


@dataclass(frozen=True)
class WorkItem:
    id: int
    connector: str
    mode: str | None
    job_run_id: int | None
    posted_at: datetime
    state: str
    agent_id: int | None
    lease_expires: datetime | None
    leases: int
    delivery_id: int | None


def _utc(at: datetime | None) -> datetime | None:
    return at if at is None or at.tzinfo is not None else at.replace(tzinfo=UTC)


def _item(row: sa.Row[tuple[object, ...]]) -> WorkItem:
    m = row._mapping
    return WorkItem(id=int(m["id"]), connector=str(m["connector"]), mode=m["mode"],
                    job_run_id=m["job_run_id"], posted_at=_utc(m["posted_at"]) or m["posted_at"],
                    state=str(m["state"]), agent_id=m["agent_id"],
                    lease_expires=_utc(m["lease_expires"]), leases=int(m["leases"]),
                    delivery_id=m["delivery_id"])


def post(conn: sa.Connection, connector: str, mode: str | None, job_run_id: int | None,
         now: datetime) -> int:
    return int(conn.execute(sa.insert(agent_work).values(
        connector=connector, mode=mode, job_run_id=job_run_id, posted_at=now, state=OPEN)
        .returning(agent_work.c.id)).scalar_one())


def lease(conn: sa.Connection, agent: Agent, connectors: Iterable[str],
          now: datetime) -> WorkItem | None:
    """Give `agent` the oldest open item of `connectors` that no live lease holds, or None."""
    names = [c.lower() for c in connectors]
    if not names:
        return None
    free = sa.or_(agent_work.c.lease_expires.is_(None), agent_work.c.lease_expires <= now)
    candidates = conn.execute(sa.select(agent_work.c.id).where(
        agent_work.c.state == OPEN, sa.func.lower(agent_work.c.connector).in_(names), free)
        .order_by(agent_work.c.posted_at, agent_work.c.id).limit(20)).scalars().all()
    for work_id in candidates:
        # Conditional: of two agents asking at once, one wins the item, the other the next.
        taken = conn.execute(sa.update(agent_work).where(
            agent_work.c.id == work_id, agent_work.c.state == OPEN, free).values(
            agent_id=agent.id, leased_at=now, lease_expires=now + agent.lease,
            leases=agent_work.c.leases + 1))
        if taken.rowcount == 1:
            return get(conn, work_id)
    return None


def get(conn: sa.Connection, work_id: int) -> WorkItem:
    row = conn.execute(sa.select(agent_work).where(agent_work.c.id == work_id)).first()
    if row is None:
        raise LeaseLost(f"no work item {work_id}")
    return _item(row)


def held(conn: sa.Connection, agent: Agent, work_id: int, connector: str,
         now: datetime) -> WorkItem:
    """The item `work_id`, which `agent` must still hold; its lease is renewed."""
    item = get(conn, work_id)
    if item.connector.lower() != connector.lower():
        raise LeaseLost(f"work item {work_id} is for connector {item.connector}, "
                        f"not {connector}")
    if item.state != OPEN:
        raise LeaseLost(f"work item {work_id} was delivered already (delivery "
                        f"{item.delivery_id})")
    if item.agent_id != agent.id:
        raise LeaseLost(f"work item {work_id} is leased by another agent: the lease of "
                        f"{agent.name} lapsed")
    conn.execute(sa.update(agent_work).where(agent_work.c.id == work_id)
                 .values(lease_expires=now + agent.lease))
    return item


def deliver(conn: sa.Connection, agent: Agent, work_id: int, delivery_id: int) -> None:
    """Close the item with `delivery_id`, if `agent` still holds it."""
    done = conn.execute(sa.update(agent_work).where(
        agent_work.c.id == work_id, agent_work.c.state == OPEN,
        agent_work.c.agent_id == agent.id).values(state=DELIVERED, delivery_id=delivery_id,
                                                   lease_expires=None))
    if done.rowcount != 1:
        raise LeaseLost(f"work item {work_id} is no longer held by {agent.name}: another "
                        "agent leased it, or it was delivered")


def open_items(conn: sa.Connection) -> list[WorkItem]:
    """The items not delivered yet, oldest first (the Agents page)."""
    return [_item(r) for r in conn.execute(sa.select(agent_work).where(
        agent_work.c.state == OPEN).order_by(agent_work.c.posted_at, agent_work.c.id))]
