"""The Agents page (SPEC §11): operators and administrators see each agent with its connectors by
name, its last heartbeat — "late" after three intervals without one — and the work it leases;
the home page and the connector's page say its files come from remote agents."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from agentproject import agent_token, remote_project
from headcount.agents import deliveries
from headcount.repository.database import begin_write
from headcount.repository.runs import now
from headcount.repository.schema import agents
from webproject import login, make_app

HTML = {"Accept": "text/html"}


def test_the_agents_page_shows_heartbeats_leases_and_lateness(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/headcount.db"
    app = make_app(remote_project(tmp_path / "hr", url), url)
    engine: sa.Engine = app.state.headcount.engine
    try:
        with TestClient(app) as client:
            _, secret = agent_token(engine)
            head = {"Authorization": f"Bearer {secret}", "X-Headcount-Agent": "paris-agent"}
            assert client.post("/api/agent/heartbeat", headers=head, json={
                "host": "files.paris", "version": "9.9", "connectors": ["HR"],
                "interval_seconds": 60}).status_code == 200
            with begin_write(engine) as conn:
                leased = deliveries.request_work(conn, "HR", "complete", 5)
                waiting = deliveries.request_work(conn, "HR", "incremental", 6)
            assert client.post("/api/agent/work/lease", headers=head).json()["work"]["id"] \
                == leased

            login(client, "view")
            assert client.get("/agents", headers=HTML).status_code == 403
            login(client, "op")
            page = client.get("/agents", headers=HTML)
            assert page.status_code == 200
            text = page.text
            assert "paris-agent" in text
            assert "on files.paris, version 9.9" in text
            assert 'Human resources</a> <span class="key">HR</span>' in text
            assert f"Work {leased} (Human resources)" in text
            assert f"<td>{waiting}</td>" in text
            assert "not leased yet" in text
            assert "late</span>" not in text
            assert 'href="/agents"' in text  # in the menu

            with begin_write(engine) as conn:
                conn.execute(sa.update(agents).values(
                    last_heartbeat=now() - timedelta(minutes=4)))
            assert "late</span>" in client.get("/agents", headers=HTML).text

            assert "files delivered by remote agents" in client.get("/", headers=HTML).text
            assert "Its files are delivered by remote agents" in client.get(
                "/connectors/HR", headers=HTML).text
    finally:
        engine.dispose()
