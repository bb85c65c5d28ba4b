"""The remote agents' door (SPEC §11, docs/agent.md): heartbeats, leases of work, and deliveries
uploaded in checksummed, resumable chunks — all behind a service token with scope `agent` on
the connector named. An agent names itself in the `X-Headcount-Agent` header; a complete
delivery is queued as a job run (trigger `agent`) that the token's label names."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from headcount.agents import deliveries, heartbeats, work
from headcount.agents.heartbeats import Agent, Heartbeat
from headcount.project import ProjectContext
from headcount.repository.database import begin_write
from headcount.repository.runs import now
from headcount.repository.tokens import AGENT, ServiceToken
from headcount.scheduling import JobRequest, submit
from headcount.web.api.errors import responses
from headcount.web.auth import app_state
from headcount.web.tokenauth import service_token

router = APIRouter(prefix="/api/agent", include_in_schema=False,
                   responses=responses(400, 401, 403, 404, 409, 422))
Token = Annotated[ServiceToken, Depends(service_token(AGENT))]
AgentName = Annotated[str, Header(alias="X-Headcount-Agent", min_length=1, max_length=255)]


class HeartbeatIn(BaseModel):
    host: str = Field(max_length=255)
    version: str = Field(max_length=64)
    connectors: list[str] = Field(default_factory=list, max_length=100)
    interval_seconds: int = Field(heartbeats.DEFAULT_INTERVAL, ge=1, le=3600)


class DeliveryIn(BaseModel):
    mode: str | None = Field(None, pattern="^(initial|complete|incremental)$")
    size: int = Field(gt=0)
    sha256: str = Field(pattern="^[0-9a-fA-F]{64}$")
    chunks: int = Field(gt=0)
    work_id: int | None = None


def _engine(request: Request) -> sa.Engine:
    return app_state(request).engine


def _agent(conn: sa.Connection, token: ServiceToken, name: str) -> Agent:
    return heartbeats.known(conn, token.id, name)


@router.post("/heartbeat")
def heartbeat(request: Request, token: Token, name: AgentName,
              body: HeartbeatIn) -> dict[str, Any]:
    """I am alive: records the agent (the first time) and renews the leases it holds."""
    outside = [c for c in body.connectors if c.lower() not in token.connectors]
    if outside:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"{token.label} does not reach connector {', '.join(outside)}")
    with begin_write(_engine(request)) as conn:
        agent = heartbeats.beat(conn, token.id, Heartbeat(
            name, body.host, body.version, tuple(body.connectors), body.interval_seconds),
            now())
    return {"agent": agent.id, "name": agent.name,
            "lease_seconds": int(agent.lease.total_seconds())}


@router.post("/work/lease")
def lease(request: Request, token: Token, name: AgentName) -> dict[str, Any]:
    """The oldest work item of the agent's connectors that no live lease holds, leased to it;
    `work` is null when there is none."""
    with begin_write(_engine(request)) as conn:
        agent = _agent(conn, token, name)
        served = [c for c in agent.connectors if c.lower() in token.connectors]
        item = work.lease(conn, agent, served, now())
    if item is None:
        return {"work": None}
    return {"work": {"id": item.id, "connector": item.connector, "mode": item.mode,
                     "job_run": item.job_run_id,
                     "lease_expires": item.lease_expires.isoformat()
                     if item.lease_expires else None}}


def _shown(conn: sa.Connection, delivery: deliveries.Delivery) -> dict[str, Any]:
    return {"id": delivery.id, "connector": delivery.connector, "mode": delivery.mode,
            "state": delivery.state, "size": delivery.size, "sha256": delivery.sha256,
            "chunks": delivery.chunks, "received": deliveries.received(conn, delivery.id),
            "job_run": delivery.job_run_id}


@router.post("/{connector}/deliveries", status_code=201)
def start_delivery(request: Request, connector: str, token: Token, name: AgentName,
                   body: DeliveryIn) -> dict[str, Any]:
    """Announce a delivery (its size, SHA-256 and number of chunks) — for a leased work item
    or, without `work_id`, on the agent's own schedule."""
    deployed = app_state(request).project().connector(connector)
    if deployed is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no connector {connector}")
    with begin_write(_engine(request)) as conn:
        agent = _agent(conn, token, name)
        delivery = deliveries.start(conn, agent, deployed.identifier, token.label,
                                    deliveries.Announce(body.mode, body.size, body.sha256,
                                                        body.chunks, body.work_id), now())
        return _shown(conn, delivery)


@router.get("/{connector}/deliveries/{delivery_id}")
def delivery_state(request: Request, connector: str, delivery_id: int, token: Token,
                   name: AgentName) -> dict[str, Any]:
    """Where a delivery stands: the chunks the server holds (send the others to resume)."""
    with _engine(request).connect() as conn:
        agent = _agent(conn, token, name)
        return _shown(conn, deliveries.owned(conn, agent, connector, delivery_id))


@router.put("/{connector}/deliveries/{delivery_id}/chunks/{n}", status_code=204)
async def put_chunk(request: Request, connector: str, delivery_id: int, n: int, token: Token,
                    name: AgentName,
                    sha256: Annotated[str, Header(alias="X-Chunk-SHA256")]) -> Response:
    """Chunk `n` of the delivery (raw bytes), refused unless its SHA-256 is `X-Chunk-SHA256`."""
    data = await request.body()

    def keep() -> None:
        with begin_write(_engine(request)) as conn:
            agent = _agent(conn, token, name)
            delivery = deliveries.owned(conn, agent, connector, delivery_id)
            deliveries.put_chunk(conn, agent, delivery, n, data, sha256, now())

    await run_in_threadpool(keep)
    return Response(status_code=204)


@router.post("/{connector}/deliveries/{delivery_id}/complete")
def complete(request: Request, connector: str, delivery_id: int, token: Token,
             name: AgentName) -> dict[str, Any]:
    """Every chunk is sent: the whole is checked against its SHA-256, its work item closed,
    and a job run queued to apply it."""
    engine = _engine(request)
    try:
        with begin_write(engine) as conn:
            agent = _agent(conn, token, name)
            delivery = deliveries.complete(
                conn, agent, deliveries.owned(conn, agent, connector, delivery_id), now())
    except deliveries.ChecksumMismatch:
        with begin_write(engine) as conn:
            deliveries.drop_chunks(conn, delivery_id)
        raise
    state = app_state(request)
    # The job run that asked for this work waits for it: the delivery's job run answers it.
    with engine.connect() as conn:
        asked = work.get(conn, delivery.work_id).job_run_id \
            if delivery.work_id is not None else None
    job_run = submit(ProjectContext(state.project_dir, engine), JobRequest(
        delivery.connector, mode=delivery.mode, trigger="agent", delivery=delivery.id,
        actor=token.label, parent=asked))
    with begin_write(engine) as conn:
        deliveries.queued(conn, delivery.id, job_run)
        return _shown(conn, deliveries.get(conn, delivery.id))
