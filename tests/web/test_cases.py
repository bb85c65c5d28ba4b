"""Correlation cases in the API and the pages (SPEC §6.1, §12, §13): listed with their
candidates and the bindings that matched; decided once — `link` makes the source own the
candidate (no duplicate), `new` creates a target — audited, and applied at once, or at the next
run while one is in progress."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from caseproject import RECORDS, case_id, make_case_project, people
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository.locks import RunLock
from headcount.repository.schema import audit_log, ownership, resources
from webproject import bearer, login, make_app


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> FastAPI:
    folder = make_case_project(tmp_path / "hr", db_url)
    return make_app(folder, db_url)


def _engine(app: FastAPI) -> sa.Engine:
    engine: sa.Engine = app.state.headcount.engine
    return engine


def _record(app: FastAPI, key: str) -> dict[str, object] | None:
    with _engine(app).connect() as conn:
        data = conn.execute(sa.select(resources.c.data).where(
            resources.c.entity_type == "Directory_UserRecord", resources.c.key == key)).scalar()
    return None if data is None else dict(json.loads(data))


def _owner(app: FastAPI, source_key: str) -> str | None:
    with _engine(app).connect() as conn:
        found = conn.execute(sa.select(ownership.c.target_key).where(
            ownership.c.resource_type == RECORDS, ownership.c.source_key == source_key)).scalar()
    return None if found is None else str(found)


def test_a_case_is_listed_with_its_candidates_and_the_bindings_that_matched(app: FastAPI
                                                                            ) -> None:
    client = TestClient(app)
    reader = bearer(app, "view", ["read"])
    listed = client.get("/api/correlation-cases", headers=reader).json()
    assert listed["total"] == 2
    by_source = {c["source_key"]: c for c in listed["items"]}
    assert by_source["E00005"]["candidates"] == ["X5"]
    assert by_source["E00005"]["confidence"] == 60
    assert by_source["E00005"]["state"] == "open"
    assert by_source["E00005"]["source_display_name"]
    assert client.get("/api/correlation-cases?state=resolved", headers=reader).json() == {
        "total": 0, "items": []}
    paged = client.get("/api/correlation-cases?limit=1&offset=1", headers=reader).json()
    assert paged["total"] == 2
    assert len(paged["items"]) == 1

    case = client.get(f"/api/correlation-cases/{by_source['E00005']['id']}",
                      headers=reader).json()
    assert case["source"]["entity_type"] == "HR_Person"
    assert case["source"]["values"]["EmployeeId"] == "E00005"
    [candidate] = case["candidates"]
    assert candidate["resource"]["key"] == "X5"
    assert candidate["resource"]["values"]["Title"] == "keyed in by hand"
    assert sorted(candidate["matched_properties"]) == ["FirstName", "LastName"]
    names_rule = next(r for r in candidate["rules"] if r["confidence"] == 60)
    assert names_rule["matched"] is True
    assert not next(r for r in candidate["rules"] if r["confidence"] == 100)["matched"]
    title = next(m for m in case["mapped"] if m["target"] == "Title")
    assert title["current"] == ["keyed in by hand"]
    assert title["same"] == [False]
    assert client.get("/api/correlation-cases/999", headers=reader).status_code == 404

    csrf = login(client, "hr")
    page = client.get("/correlation-cases", headers={"Accept": "text/html"}).text
    assert re.search(r'Correlation cases <span class="count">2<', page)
    assert "E00005" in page
    assert "X5" in page
    detail = client.get(f"/correlation-cases/{by_source['E00005']['id']}",
                        headers={"Accept": "text/html"}).text
    assert 'class="match"' in detail
    assert "Link to this identity" in detail
    assert "Create a new identity" in detail
    assert f'value="{csrf}"' in detail


def test_link_makes_the_source_own_the_candidate_once_and_is_audited(app: FastAPI) -> None:
    client = TestClient(app)
    decider = bearer(app, "hr", ["read", "decide"])
    five = case_id(_engine(app), "E00005")
    answer = client.post(f"/api/correlation-cases/{five}/decision", headers=decider,
                         json={"decision": "link", "target": "X5", "comment": "same person"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["run_id"] is not None
    assert body["case"]["state"] == "resolved"
    assert body["case"]["decision"] == "link"
    assert body["case"]["decided_target"] == "X5"
    assert body["case"]["decided_by"] == "hr"
    assert body["case"]["comment"] == "same person"
    assert _owner(app, "E00005") == "X5"
    assert _record(app, "E00005") is None  # no duplicate
    linked = _record(app, "X5")
    assert linked is not None
    assert linked["EmployeeId"] == "E00005"
    hr = people(Path(app.state.headcount.project_dir))["E00005"]
    assert linked["FirstName"] == hr["FirstName"].strip()  # HR's values now
    with _engine(app).connect() as conn:
        audited = conn.execute(sa.select(audit_log.c.actor, audit_log.c.target,
                                         audit_log.c.reason)
                               .where(audit_log.c.action == "correlation case decided")).all()
    assert [tuple(a) for a in audited] == [
        ("hr", f"case {five} ({RECORDS}): link E00005 → X5", "same person")]

    again = client.post(f"/api/correlation-cases/{five}/decision", headers=decider,
                        json={"decision": "new", "comment": "changed my mind"})
    assert again.status_code == 409
    assert "decided already" in again.json()["detail"]
    # The next synchronization keeps the link and opens no case again.
    ctx = ProjectContext(Path(app.state.headcount.project_dir), _engine(app))
    synchronize(ctx, SyncRequest("HR"))
    assert _owner(app, "E00005") == "X5"
    assert _record(app, "E00005") is None
    listed = client.get("/api/correlation-cases", headers=decider).json()
    assert [c["source_key"] for c in listed["items"]] == ["E00007"]


def test_new_creates_a_target_and_candidates_are_checked(app: FastAPI) -> None:
    client = TestClient(app)
    decider = bearer(app, "hr", ["read", "decide"])
    seven = case_id(_engine(app), "E00007")
    url = f"/api/correlation-cases/{seven}/decision"
    refused = client.post(url, headers=decider, json={"decision": "link", "target": "X5"})
    assert refused.status_code == 422
    assert "not a candidate" in refused.json()["detail"]
    assert client.post(url, headers=decider, json={"decision": "link"}).status_code == 422
    assert client.post(url, headers=decider, json={"decision": "new", "target": "X7"}
                       ).status_code == 422
    assert client.post(url, headers=decider, json={"decision": "maybe"}).status_code == 422
    assert client.get(f"/api/correlation-cases/{seven}", headers=decider
                      ).json()["case"]["state"] == "open"

    answer = client.post(url, headers=decider, json={"decision": "new", "comment": "homonym"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["case"]["decision"] == "new"
    created = _record(app, "E00007")
    assert created is not None
    assert created["EmployeeId"] == "E00007"
    assert _owner(app, "E00007") == "E00007"
    assert _record(app, "X7") == {"RecordIdentifier": "X7", "Title": "keyed in by hand",
                                  "LastName": people(Path(app.state.headcount.project_dir))[
                                      "E00007"]["LastName"].strip(),
                                  "FirstName": people(Path(app.state.headcount.project_dir))[
                                      "E00007"]["FirstName"].strip().upper()}


def test_a_decision_waits_for_the_next_run_while_one_is_in_progress(app: FastAPI) -> None:
    client = TestClient(app)
    decider = bearer(app, "hr", ["read", "decide"])
    five = case_id(_engine(app), "E00005")
    lock = RunLock(_engine(app), "HR")
    assert lock.try_acquire()
    try:
        answer = client.post(f"/api/correlation-cases/{five}/decision", headers=decider,
                             json={"decision": "link", "target": "X5"})
    finally:
        lock.release()
    assert answer.status_code == 200, answer.text
    assert answer.json()["run_id"] is None
    assert "next run" in answer.json()["message"]
    assert _owner(app, "E00005") == "X5"  # the decision is kept
    assert "EmployeeId" not in (_record(app, "X5") or {})
    ctx = ProjectContext(Path(app.state.headcount.project_dir), _engine(app))
    synchronize(ctx, SyncRequest("HR"))
    assert (_record(app, "X5") or {}).get("EmployeeId") == "E00005"
    assert _record(app, "E00005") is None


def test_deciding_needs_the_right_and_the_csrf_token(app: FastAPI) -> None:
    client = TestClient(app)
    five = case_id(_engine(app), "E00005")
    url = f"/api/correlation-cases/{five}/decision"
    body = {"decision": "new"}
    assert client.get("/api/correlation-cases").status_code == 401
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers=bearer(app, "view", ["read"])).status_code == 403
    # A token carries no more than its scopes, whatever its user may do.
    assert client.post(url, json=body, headers=bearer(app, "hr", ["read"])).status_code == 403
    assert client.post(url, json=body, headers=bearer(app, "op", ["read", "run"])
                       ).status_code == 403

    viewer = TestClient(app)
    login(viewer, "view")
    page = viewer.get(f"/correlation-cases/{five}", headers={"Accept": "text/html"}).text
    assert "Link to this identity" not in page  # no button for a role that may not decide
    assert viewer.post(f"/correlation-cases/{five}/decision",
                       data={"target": "X5"}).status_code == 403

    csrf = login(client, "hr")
    form = f"/correlation-cases/{five}/decision"
    assert client.post(form, data={"target": "X5"}).status_code == 403  # no CSRF token
    assert client.post(form, data={"csrf": csrf}).status_code == 422  # no choice made
    done = client.post(form, data={"csrf": csrf, "target": "X5", "comment": "same"},
                       follow_redirects=False)
    assert done.status_code == 303
    assert re.fullmatch(rf"/correlation-cases/{five}\?run=\d+", done.headers["location"])
    shown = client.get(done.headers["location"], headers={"Accept": "text/html"}).text
    assert "Resolved" in shown
    assert "linked to X5" in shown
    assert "evaluated the policy" in shown
    assert _owner(app, "E00005") == "X5"
