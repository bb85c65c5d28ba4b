"""The Agents page (SPEC §11, docs/agent.md): each remote agent with its connectors, its last
heartbeat (late after three of its intervals) and the work it leases; the work waiting for an
agent; and the latest deliveries with the job runs that apply them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from headcount.agents import heartbeats, work
from headcount.agents.heartbeats import Agent
from headcount.agents.work import WorkItem
from headcount.config.model import Project
from headcount.repository import tokens
from headcount.repository.runs import now
from headcount.repository.schema import agent_deliveries
from headcount.repository.users import User
from headcount.web.auth import app_state, require
from headcount.web.rendering import render

router = APIRouter(include_in_schema=False)
Operator = Annotated[User, Depends(require("run"))]
RECENT = 20


@dataclass(frozen=True)
class Named:
    """A connector by its display name, its identifier beside it."""

    identifier: str
    name: str


@dataclass(frozen=True)
class AgentRow:
    agent: Agent
    token: str
    connectors: list[Named]
    late: bool
    leases: list[WorkItem]


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    connector: Named
    agent: str
    mode: str | None
    size: int
    state: str
    created_at: datetime
    job_run: int | None


def _named(project: Project, identifier: str) -> Named:
    found = project.connector(identifier)
    return Named(identifier, (found.display_name or found.identifier) if found else identifier)


@router.get("/agents", response_class=HTMLResponse)
def agents_page(request: Request, user: Operator) -> Response:
    state = app_state(request)
    project = state.project()
    moment = now()
    with state.engine.connect() as conn:
        agents = heartbeats.list_agents(conn)
        items = work.open_items(conn)
        labels = {t.id: t.label for t in tokens.list_tokens(conn)}
        recent = conn.execute(sa.select(agent_deliveries).order_by(
            agent_deliveries.c.id.desc()).limit(RECENT)).all()
    names = {a.id: a.name for a in agents}
    rows = [AgentRow(a, labels.get(a.token_id, f"token {a.token_id}"),
                     [_named(project, c) for c in a.connectors], a.late(moment),
                     [i for i in items if i.agent_id == a.id and i.lease_expires
                      and i.lease_expires > moment]) for a in agents]
    shown = [DeliveryRow(d.id, _named(project, d.connector), names.get(d.agent_id, ""), d.mode,
                         d.size, d.state, d.created_at, d.job_run_id) for d in recent]
    remote = [Named(c.identifier, c.display_name or c.identifier)
              for c in project.connectors if c.agent == "remote"]
    return render(request, "agents.html", {
        "agents": rows, "items": items, "names": names, "deliveries": shown,
        "remote": remote, "connectors": {c.identifier: _named(project, c.identifier)
                                         for c in project.connectors},
        "now": moment}, user)
