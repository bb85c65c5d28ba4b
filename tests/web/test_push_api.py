"""The push API (docs/push.md) on SQLite and PostgreSQL: Entra-format bulk requests land as HR
resources and then identities; each operation answers for itself; idempotency keys; the batch
status through applied; a revoked token refused; JSON lines; full snapshots whose absent people
leave only through the deletion thresholds."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from headcount.jobs.blocked import previewed_total, resume
from headcount.project import ProjectContext
from headcount.repository import jobruns, runs, tokens
from headcount.repository.provenance import last_changes
from headcount.repository.schema import push_requests, resources
from headcount.scheduling import PUSH
from headcount.scheduling.worker import Worker
from headcount.web.app import create_app
from pushproject import (
    CONTOSO,
    ENTERPRISE,
    bulk,
    make_push_project,
    push_app,
    push_token,
    settled,
    user,
)


def _people(app: object, entity_type: str = "HR_Person") -> dict[str, str | None]:
    engine = app.state.headcount.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return {key: data for key, data in conn.execute(
            sa.select(resources.c.key, resources.c.data)
            .where(resources.c.entity_type == entity_type))}


def test_entra_bulk_requests_land_as_people_then_identities(tmp_path: Path, db_url: str) -> None:
    with push_app(tmp_path, db_url) as (app, client):
        token_id, headers = push_token(app)
        body = bulk(user("E90001", "Barbara", "Jensen", title="Tour guide"),
                    user("E90002", "John", "Smith", manager="E90001", active=True),
                    user("E90003", "Ann", "Lee", active=False, birth="31/02/1990"),
                    {"method": "PATCH", "bulkId": "p1", "path": "/Users/E90001", "data": {}},
                    user("E90004", "Tim", "Mo", nickName="Timmy"),
                    user("", "No", "Key"))
        answer = client.post("/api/push/HR/bulk", content=body, headers=headers)
        assert answer.status_code == 202, answer.text
        found = answer.json()
        assert answer.headers["location"] == f"/api/push/HR/requests/{found['id']}"
        statuses = [(op["bulkId"], op["status"]) for op in found["Operations"]]
        assert statuses == [("E90001", "202"), ("E90002", "202"), ("E90003", "400"),
                            ("p1", "400"), ("E90004", "400"), ("", "400")]
        details = [op.get("response", {}).get("detail", "") for op in found["Operations"]]
        assert details[2].startswith(f"{CONTOSO}:BirthDate: '31/02/1990' is not a date")
        assert details[3].startswith("method PATCH is not taken")
        assert details[4] == "unknown attribute nickName: no column of HR_People reads it"
        assert details[5] == f"{ENTERPRISE}:employeeNumber is required: it is the key"
        assert (found["accepted"], found["rejected"]) == (2, 4)
        status = settled(client, answer.headers["location"], headers)
        run = status["Operations"][0]["run"]
        assert [op["status"] for op in status["Operations"]] == \
            ["applied", "applied", "rejected", "rejected", "rejected", "rejected"]
        assert status["Operations"][0]["detail"] == f"applied by run {run}"
        assert status["pushedBy"] == f"token {token_id} (hris)"
        assert status["receivedAt"].endswith("Z")
        people = _people(app)
        assert {"E90001", "E90002"} <= set(people)
        assert "E90003" not in people
        identities = _people(app, "Directory_User")
        assert {"E90001", "E90002"} <= set(identities)
        # An update: the newest record of a key wins.
        again = client.post("/api/push/HR/bulk", headers=headers, content=bulk(
            user("E90001", "Barbara", "Jensen", title="Head of tours")))
        assert again.status_code == 202
        settled(client, again.headers["location"], headers)
        assert json.loads(_people(app)["E90001"] or "{}")["Title"] == "Head of tours"
        with app.state.headcount.engine.connect() as conn:
            origins = last_changes(conn, [("HR_Person", "E90001")])[("HR_Person", "E90001")]
        assert f"pushed by token {token_id} (hris), request {again.json()['id']}, " \
               "operation 1" in origins["Title"].where()


def test_an_idempotency_key_replays_its_answer_and_refuses_another_body(
        tmp_path: Path, db_url: str) -> None:
    with push_app(tmp_path, db_url) as (app, client):
        _, headers = push_token(app)
        keyed = headers | {"Idempotency-Key": "batch-2026-11-30-1"}
        body = bulk(user("E91001", "Ada", "King"))
        first = client.post("/api/push/HR/bulk", content=body, headers=keyed)
        again = client.post("/api/push/HR/bulk", content=body, headers=keyed)
        assert first.status_code == again.status_code == 202
        assert again.json() == first.json() | {"jobRun": None}  # queued once, by the first
        assert again.headers["location"] == first.headers["location"]
        other = client.post("/api/push/HR/bulk", headers=keyed,
                            content=bulk(user("E91002", "Bob", "King")))
        assert other.status_code == 422
        assert "another body" in other.json()["detail"]
        with app.state.headcount.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(push_requests)
                                ).scalar_one() == 1
        settled(client, first.headers["location"], headers)


def test_a_revoked_or_foreign_token_is_refused(tmp_path: Path, db_url: str) -> None:
    with push_app(tmp_path, db_url) as (app, client):
        token_id, headers = push_token(app)
        body = bulk(user("E92001", "Cy", "Young"))
        with app.state.headcount.engine.begin() as conn:
            _, other = tokens.create(conn, "reader", ["identities:read"], ["HR"], "root")
        foreign = headers | {"Authorization": f"Bearer {other}"}
        assert client.post("/api/push/HR/bulk", content=body, headers=foreign
                           ).status_code == 401
        with app.state.headcount.engine.begin() as conn:
            tokens.revoke(conn, token_id, "ann")
        refused = client.post("/api/push/HR/bulk", content=body, headers=headers)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        with app.state.headcount.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(push_requests)
                                ).scalar_one() == 0


def test_json_lines_are_checked_line_by_line(tmp_path: Path, db_url: str) -> None:
    with push_app(tmp_path, db_url) as (app, client):
        _, headers = push_token(app)
        lines = "\n".join([
            json.dumps({"EmployeeId": "E93001", "FirstName": "Dee", "LastName": "Ray",
                        "OrganizationCode": "ORG001", "SiteCode": "PAR",
                        "ContractType": "permanent", "ContractStartDate": "2025-01-06"}),
            json.dumps({"EmployeeId": "E93002", "LastName": "Ho", "ContractStartDate": "soon"}),
            json.dumps({"EmployeeId": "E93003", "Shoe": "42"}),
            "{not json",
        ]) + "\n"
        answer = client.post("/api/push/HR/records", content=lines,
                             headers=headers | {"Content-Type": "application/x-ndjson"})
        assert answer.status_code == 202, answer.text
        details = [op.get("response", {}).get("detail") for op in answer.json()["Operations"]]
        assert details[0] is None
        assert details[1].startswith("line 2: column ContractStartDate: 'soon' is not a date")
        assert details[2] == "line 3: unknown column Shoe"
        assert details[3].startswith("line 4: not JSON")
        status = settled(client, answer.headers["location"], headers)
        assert [op["status"] for op in status["Operations"]] == \
            ["applied", "rejected", "rejected", "rejected"]
        assert "E93001" in _people(app)


def test_a_full_snapshot_makes_leavers_only_through_the_deletion_thresholds(
        tmp_path: Path, db_url: str) -> None:
    with push_app(tmp_path, db_url) as (app, client):
        _, headers = push_token(app)
        everyone = [user(f"E9400{n}", f"P{n}", "Snap") for n in range(1, 4)]
        first = client.post("/api/push/HR/bulk", content=bulk(*everyone), headers=headers)
        settled(client, first.headers["location"], headers)
        # The whole population in two requests, E94003 absent: a leaver.
        parts = [client.post("/api/push/HR/bulk?snapshot=s1", content=bulk(u), headers=headers)
                 for u in everyone[:2]]
        assert [p.json()["jobRun"] for p in parts] == [None, None]  # waits for complete
        done = client.post("/api/push/HR/snapshots/s1/complete", headers=headers)
        assert done.status_code == 202
        assert done.json()["records"] == 2
        status = settled(client, parts[0].headers["location"], headers)
        # The project's deletion threshold is 0: the leaver blocks the run until resumed.
        assert status["Operations"][0]["status"] == "blocked"
        run_id = status["Operations"][0]["run"]
        assert "E94003" in _people(app)
        ctx = ProjectContext(app.state.headcount.project_dir, app.state.headcount.engine)
        with app.state.headcount.engine.connect() as conn:
            blocked = runs.get_run(conn, run_id)
        assert blocked.state == runs.BLOCKED
        assert blocked.mode == "complete"
        resume(ctx, run_id, "the HR system says E94003 left", "ann",
               expected_orders=previewed_total(blocked))
        status = client.get(parts[1].headers["location"], headers=headers).json()
        assert status["Operations"][0]["detail"] == f"applied by run {run_id}"
        assert "E94003" not in _people(app)
        assert "E94003" in _people(app, "Directory_User")  # kept, marked left, for 30 days
        again = client.post("/api/push/HR/bulk?snapshot=s1", content=bulk(everyone[0]),
                            headers=headers)
        assert again.status_code == 409


def test_too_many_operations_or_bytes_are_refused_whole(tmp_path: Path, db_url: str) -> None:
    with push_app(tmp_path, db_url) as (app, client):
        _, headers = push_token(app)
        many = bulk(*[user(f"E97{n:03d}", "Many", "Ops") for n in range(51)])
        refused = client.post("/api/push/HR/bulk", content=many, headers=headers)
        assert refused.status_code == 413
        assert refused.json()["scimType"] == "tooMany"
        assert refused.json()["detail"] == "51 operations: at most 50 per request"
        huge = bulk(user("E97999", "Big", "Body", title="x" * 1_100_000))
        assert client.post("/api/push/HR/bulk", content=huge, headers=headers
                           ).status_code == 413
        notbulk = client.post("/api/push/HR/bulk", content=b'{"Operations": []}',
                              headers=headers)
        assert notbulk.status_code == 400
        assert "urn:ietf:params:scim:api:messages:2.0:BulkRequest" in notbulk.json()["detail"]
        with app.state.headcount.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(push_requests)
                                ).scalar_one() == 0


def test_a_burst_of_pushes_waits_for_one_run(tmp_path: Path, db_url: str) -> None:
    """Pushes that arrive while their connector's job run is queued join it: a burst of requests
    makes one job run, whose one run applies them all (no worker runs until the burst is in:
    the app only queues, as `serve --no-worker`)."""
    app = create_app(make_push_project(tmp_path / "hr", db_url), db_url, drain=False)
    try:
        with TestClient(app) as client:
            _, headers = push_token(app)
            answers = [client.post("/api/push/HR/bulk", headers=headers, content=bulk(
                user(f"E9700{n}", "Burst", f"Person{n}"), user(f"E9710{n}", "Other", f"P{n}")))
                for n in range(6)]
            assert {a.status_code for a in answers} == {202}
            job_run_ids = {a.json()["jobRun"] for a in answers}
            assert len(job_run_ids) == 1
            ctx = ProjectContext(app.state.headcount.project_dir, app.state.headcount.engine)
            with ctx.engine.connect() as conn:
                pushes = [r for r in jobruns.listing(conn) if r.trigger == PUSH]
            assert [r.id for r in pushes] == list(job_run_ids)
            Worker(ctx, schedule=False, poll_seconds=0.05).run(threading.Event(), once=True)
            ran = {op["run"] for a in answers for op in settled(
                client, a.headers["location"], headers)["Operations"]}
            assert len(ran) == 1
            with ctx.engine.connect() as conn:
                done = jobruns.get(conn, job_run_ids.pop())
            assert done is not None
            assert done.run_ids == (ran.pop(),)
    finally:
        app.state.headcount.engine.dispose()
