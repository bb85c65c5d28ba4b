"""The agents' API (/api/agent, docs/agent.md) on SQLite and PostgreSQL, through HTTP: heartbeats
register an agent, leases hand out work once, a lapsed lease goes to a second agent, an upload
refuses a chunk whose SHA-256 is wrong and resumes from what the server holds, a complete
delivery is applied by a run that names the agent — and a revoked token gets 401."""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from agentproject import agent_token, remote_project, run_of_delivery
from headcount.agents import bundle, deliveries
from headcount.config.loader import load_project_config
from headcount.jobs.sources import export_files
from headcount.jobs.work import RunWork
from headcount.project import ProjectContext
from headcount.repository import jobruns, tokens
from headcount.repository.database import begin_write
from headcount.repository.runs import logs, now
from headcount.repository.schema import agent_work
from headcount.scheduling import JobRequest, submit
from webproject import make_app

CHUNK = 4096


@pytest.fixture
def site(tmp_path: Path, db_url: str) -> Iterator[tuple[TestClient, Path]]:
    folder = remote_project(tmp_path / "hr", db_url)
    app = make_app(folder, db_url)
    try:
        with TestClient(app) as client:
            yield client, folder
    finally:
        app.state.headcount.engine.dispose()


def engine_of(client: TestClient) -> sa.Engine:
    engine: sa.Engine = client.app.state.headcount.engine  # type: ignore[attr-defined]
    return engine


def headers(secret: str, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", "X-Headcount-Agent": name}


def heartbeat(client: TestClient, secret: str, name: str) -> dict[str, Any]:
    answer = client.post("/api/agent/heartbeat", headers=headers(secret, name), json={
        "host": f"{name}.example", "version": "1.0", "connectors": ["HR"],
        "interval_seconds": 10})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def exported(folder: Path) -> bytes:
    connector = load_project_config(folder).connector("HR")
    assert connector is not None
    return bundle.pack(export_files(folder, connector, False, RunWork(0, connector, "complete")),
                       "HR", "complete")


def announce(client: TestClient, secret: str, name: str, data: bytes,
             work_id: int | None = None) -> dict[str, Any]:
    answer = client.post("/api/agent/HR/deliveries", headers=headers(secret, name), json={
        "mode": "complete", "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
        "chunks": -(-len(data) // CHUNK), "work_id": work_id})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def put(client: TestClient, secret: str, name: str, delivery: int, n: int, part: bytes,
        sha256: str | None = None) -> Any:
    return client.put(f"/api/agent/HR/deliveries/{delivery}/chunks/{n}", content=part,
                      headers={**headers(secret, name),
                               "X-Chunk-SHA256": sha256 or hashlib.sha256(part).hexdigest()})


def test_work_goes_to_one_agent_and_a_lapsed_lease_to_another(
        site: tuple[TestClient, Path]) -> None:
    client, folder = site
    engine = engine_of(client)
    _, secret = agent_token(engine)
    assert heartbeat(client, secret, "paris")["lease_seconds"] == 30
    heartbeat(client, secret, "lyon")
    with begin_write(engine) as conn:
        item = deliveries.request_work(conn, "HR", "complete", 41)
    leased = client.post("/api/agent/work/lease", headers=headers(secret, "paris")).json()
    assert leased["work"]["id"] == item
    assert leased["work"]["connector"] == "HR"
    assert leased["work"]["job_run"] == 41
    assert client.post("/api/agent/work/lease",
                       headers=headers(secret, "lyon")).json() == {"work": None}
    # paris dies: its lease lapses (moved to the past rather than waited for).
    with begin_write(engine) as conn:
        conn.execute(sa.update(agent_work).values(lease_expires=now() - timedelta(seconds=1)))
    taken = client.post("/api/agent/work/lease", headers=headers(secret, "lyon")).json()
    assert taken["work"]["id"] == item
    data = exported(folder)
    late = client.post("/api/agent/HR/deliveries", headers=headers(secret, "paris"), json={
        "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "chunks": 1,
        "work_id": item})
    assert late.status_code == 409
    assert "leased by another agent" in late.json()["detail"]
    # lyon delivers it.
    started = announce(client, secret, "lyon", data, item)
    for n in range(started["chunks"]):
        assert put(client, secret, "lyon", started["id"], n,
                   data[n * CHUNK:(n + 1) * CHUNK]).status_code == 204
    done = client.post(f"/api/agent/HR/deliveries/{started['id']}/complete",
                       headers=headers(secret, "lyon"))
    assert done.status_code == 200, done.text
    assert client.post("/api/agent/work/lease",
                       headers=headers(secret, "paris")).json() == {"work": None}
    run_of_delivery(engine, started["id"])


def test_an_upload_refuses_a_wrong_chunk_resumes_and_is_applied_by_a_run_naming_the_agent(
        site: tuple[TestClient, Path]) -> None:
    client, folder = site
    engine = engine_of(client)
    token, secret = agent_token(engine)
    heartbeat(client, secret, "paris")
    data = exported(folder)
    started = announce(client, secret, "paris", data)  # the agent's own schedule: no work item
    delivery, chunks = started["id"], started["chunks"]
    assert chunks > 2
    assert started["received"] == []
    wrong = put(client, secret, "paris", delivery, 0, data[:CHUNK], "0" * 64)
    assert wrong.status_code == 400
    assert "SHA-256" in wrong.json()["detail"]
    corrupted = put(client, secret, "paris", delivery, 1, b"x" + data[CHUNK + 1:2 * CHUNK],
                    hashlib.sha256(data[CHUNK:2 * CHUNK]).hexdigest())
    assert corrupted.status_code == 400
    # Half the chunks arrive, the connection drops; the agent asks what the server holds.
    for n in range(0, chunks, 2):
        assert put(client, secret, "paris", delivery, n,
                   data[n * CHUNK:(n + 1) * CHUNK]).status_code == 204
    early = client.post(f"/api/agent/HR/deliveries/{delivery}/complete",
                        headers=headers(secret, "paris"))
    assert early.status_code == 409
    assert "lacks chunks 1" in early.json()["detail"]
    held = client.get(f"/api/agent/HR/deliveries/{delivery}",
                      headers=headers(secret, "paris")).json()
    assert held["received"] == list(range(0, chunks, 2))
    for n in set(range(chunks)) - set(held["received"]):
        assert put(client, secret, "paris", delivery, n,
                   data[n * CHUNK:(n + 1) * CHUNK]).status_code == 204
    done = client.post(f"/api/agent/HR/deliveries/{delivery}/complete",
                       headers=headers(secret, "paris"))
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "complete"
    record = run_of_delivery(engine, delivery)
    assert record.state in ("succeeded", "warnings"), record.message
    people = next(f for f in record.files if f["connection"] == "HR_People")
    assert people["agent"] == "paris"
    assert people["delivered_by"] == token.label
    with engine.connect() as conn:
        lines = [m for _, _, m in logs(conn, record.id)]
    assert f"tables read by delivery {delivery} by agent paris on paris.example " \
           f"({token.label})" in lines


def test_a_whole_of_the_wrong_checksum_is_refused_and_must_be_sent_again(
        site: tuple[TestClient, Path]) -> None:
    client, folder = site
    _, secret = agent_token(engine_of(client))
    heartbeat(client, secret, "paris")
    data = exported(folder)
    started = client.post("/api/agent/HR/deliveries", headers=headers(secret, "paris"), json={
        "size": len(data), "sha256": "ab" * 32, "chunks": 1}).json()
    assert put(client, secret, "paris", started["id"], 0, data).status_code == 204
    refused = client.post(f"/api/agent/HR/deliveries/{started['id']}/complete",
                          headers=headers(secret, "paris"))
    assert refused.status_code == 400
    assert "send them again" in refused.json()["detail"]
    assert client.get(f"/api/agent/HR/deliveries/{started['id']}",
                      headers=headers(secret, "paris")).json()["received"] == []


def test_a_revoked_token_or_one_without_the_connector_is_refused_with_401(
        site: tuple[TestClient, Path]) -> None:
    client, folder = site
    engine = engine_of(client)
    token, secret = agent_token(engine)
    _, elsewhere = agent_token(engine, "ad-agent", ("AD",))
    heartbeat(client, secret, "paris")
    data = exported(folder)
    started = announce(client, secret, "paris", data)
    assert put(client, elsewhere, "paris", started["id"], 0, data[:CHUNK]).status_code == 401
    with begin_write(engine) as conn:
        tokens.revoke(conn, token.id, "root")
    for answer in (
            client.post("/api/agent/heartbeat", headers=headers(secret, "paris"),
                        json={"host": "h", "version": "1"}),
            client.post("/api/agent/work/lease", headers=headers(secret, "paris")),
            put(client, secret, "paris", started["id"], 0, data[:CHUNK])):
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
    assert client.post("/api/agent/heartbeat", headers={"X-Headcount-Agent": "x"},
                       json={"host": "h", "version": "1"}).status_code == 401


def test_a_delivered_file_passes_the_file_shape_guards_as_a_file_read_here(
        site: tuple[TestClient, Path], tmp_path: Path) -> None:
    client, folder = site
    engine = engine_of(client)
    _, secret = agent_token(engine)
    heartbeat(client, secret, "paris")
    side = tmp_path / "agent-side"
    shutil.copytree(folder, side)
    people = side / "data" / "hr_people.csv"
    header = people.read_text(encoding="latin-1").splitlines(keepends=True)[0]
    people.write_text(header, encoding="latin-1")  # an export cut short: its header only
    data = exported(side)
    started = announce(client, secret, "paris", data)
    for n in range(started["chunks"]):
        assert put(client, secret, "paris", started["id"], n,
                   data[n * CHUNK:(n + 1) * CHUNK]).status_code == 204
    assert client.post(f"/api/agent/HR/deliveries/{started['id']}/complete",
                       headers=headers(secret, "paris")).status_code == 200
    record = run_of_delivery(engine, started["id"])
    assert record.state == "blocked"
    with engine.connect() as conn:
        lines = " ".join(m for _, _, m in logs(conn, record.id))
    assert "hr_people.csv: the file is empty (the last accepted one had 200 rows)" in lines


def test_a_job_run_waiting_for_an_agent_ends_as_the_run_of_its_delivery(
        site: tuple[TestClient, Path]) -> None:
    client, folder = site
    engine = engine_of(client)
    _, secret = agent_token(engine)
    heartbeat(client, secret, "paris")
    asked = submit(ProjectContext(folder, engine), JobRequest("HR", mode="complete"))
    waiting = _job_run_in(engine, asked, (jobruns.WAITING,))
    assert waiting.message is not None
    assert "waiting for an agent's delivery" in waiting.message
    leased = client.post("/api/agent/work/lease", headers=headers(secret, "paris")).json()
    assert leased["work"]["job_run"] == asked
    data = exported(folder)
    started = announce(client, secret, "paris", data, leased["work"]["id"])
    for n in range(started["chunks"]):
        assert put(client, secret, "paris", started["id"], n,
                   data[n * CHUNK:(n + 1) * CHUNK]).status_code == 204
    assert client.post(f"/api/agent/HR/deliveries/{started['id']}/complete",
                       headers=headers(secret, "paris")).status_code == 200
    record = run_of_delivery(engine, started["id"])
    answered = _job_run_in(engine, asked, (jobruns.SUCCEEDED, jobruns.WARNINGS))
    assert answered.state == record.state.replace("succeeded with warnings", "warnings")
    assert answered.message is not None
    assert "applied by job run" in answered.message


def _job_run_in(engine: sa.Engine, job_run_id: int, states: tuple[str, ...],
                within: float = 120.0) -> jobruns.JobRun:
    """The job run once in one of `states` (a drain carries it out in the background)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            found = jobruns.get(conn, job_run_id)
        if found is not None and found.state in states:
            return found
        time.sleep(0.2)
    raise AssertionError(f"job run {job_run_id} not in {states} within {within} s: {found}")
