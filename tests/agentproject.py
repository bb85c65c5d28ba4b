"""The sample project served by remote agents (docs/agent.md): its HR connector set to
`agent: remote`, an agent token, and a wait for the run that applies a delivery."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa

from headcount.config.loader import load_project_config
from headcount.repository import deployments, runs, tokens
from headcount.repository.database import begin_write, create_engine
from headcount.repository.runs import RunRecord
from headcount.repository.schema import runs as runs_table
from webproject import make_project


def remote_project(folder: Path, url: str, people: int = 200) -> Path:
    """The sample project, synchronized once, whose HR connector is served by agents."""
    project = make_project(folder, url, people=people)
    hr = project / "config" / "hr.yaml"
    text = hr.read_text(encoding="utf-8")
    assert "\n    connections:" in text
    hr.write_text(text.replace("\n    connections:", "\n    agent: remote\n    connections:", 1),
                  encoding="utf-8")
    engine = create_engine(url)
    try:
        with begin_write(engine) as conn:
            deployed, _ = deployments.deploy(conn, load_project_config(project))
        assert deployed is not None, "the connector's `agent` setting was not deployed"
    finally:
        engine.dispose()
    return project


def agent_token(engine: sa.Engine, name: str = "paris-agent",
                connectors: tuple[str, ...] = ("HR",)) -> tuple[tokens.ServiceToken, str]:
    with begin_write(engine) as conn:
        return tokens.create(conn, name, ["agent"], list(connectors), "root")


def run_of_delivery(engine: sa.Engine, delivery: int, within: float = 120.0) -> RunRecord:
    """The finished run that read `delivery` (the scheduler applies it in the background)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            for run_id in conn.execute(sa.select(runs_table.c.id).where(
                    runs_table.c.finished_at.is_not(None)).order_by(runs_table.c.id.desc())
                    .limit(10)).scalars():
                record = runs.get_run(conn, run_id)
                if any(f.get("delivery") == delivery for f in record.files):
                    return record
        time.sleep(0.2)
    raise AssertionError(f"no run applied delivery {delivery} within {within} s")
