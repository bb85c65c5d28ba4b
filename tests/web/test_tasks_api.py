"""My Tasks through the API (SPEC §7.3, §12): the caller's inbox, paged and filtered; a task
with its change set (names before keys) and decisions; decisions taken by those the activity
allows — 403 for the others, 409 for what the task refuses — and a workflow instance's story."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from headcount.repository.schema import resources
from taskproject import RECORD, TITLES, make_task_project
from webproject import bearer, login, make_app

DECIDER = ["read", "decide"]


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> FastAPI:
    return make_app(make_task_project(tmp_path / "hr", db_url), db_url)


def _title(app: FastAPI, key: str) -> Any:
    with app.state.headcount.engine.connect() as conn:
        data = conn.execute(sa.select(resources.c.data).where(
            resources.c.entity_type == RECORD, resources.c.key == key)).scalar_one()
    return json.loads(data).get("Title")


def _inbox(client: TestClient, headers: dict[str, str], query: str = "") -> dict[str, Any]:
    answer = client.get(f"/api/tasks{query}", headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_the_inbox_lists_the_open_tasks_of_the_caller_paged_and_filtered(app: FastAPI) -> None:
    client = TestClient(app)
    hr = bearer(app, "hr", DECIDER)
    listed = _inbox(client, hr)
    assert listed["total"] == 3
    assert [t["subject_key"] for t in listed["items"]] == list(TITLES)  # oldest first
    first = listed["items"][0]
    assert first["workflow"] == "Retitle"
    assert first["workflow_display_name"] == "Change a title"
    assert first["state"] == "ReviewPending"
    assert first["subject_display_name"].endswith("(E00002)")  # the record's name
    assert "Review-ReviewPending-Approve" in first["transitions"]
    assert first["opened_at"].endswith("Z")
    paged = _inbox(client, hr, "?limit=1&offset=1")
    assert paged["total"] == 3
    assert [t["subject_key"] for t in paged["items"]] == ["E00003"]
    assert _inbox(client, hr, "?subject=E00004")["total"] == 1
    assert _inbox(client, hr, "?workflow=Retitle")["total"] == 3
    assert _inbox(client, hr, "?workflow=Other")["total"] == 0
    # The administrator may act on every task; a viewer and an operator on none.
    assert _inbox(client, bearer(app, "admin", ["read"]))["total"] == 3
    assert _inbox(client, bearer(app, "view", ["read"])) == {"total": 0, "items": []}
    assert _inbox(client, bearer(app, "op", ["read"]))["total"] == 0


def test_a_task_shows_its_change_set_with_names_and_its_decisions(app: FastAPI) -> None:
    client = TestClient(app)
    hr = bearer(app, "hr", DECIDER)
    task_id = _inbox(client, hr, "?subject=E00004")["items"][0]["id"]
    detail = client.get(f"/api/tasks/{task_id}", headers=hr).json()
    assert detail["may_act"] is True
    assert detail["task"]["id"] == task_id
    instance = detail["instance"]
    assert instance["message"] == "New title for E00004"
    assert instance["state"] == "running"
    [change] = instance["changes"]
    assert change["entity_type_display_name"] == "Identity record"
    assert change["display_name"].endswith("(E00004)")
    [title] = change["values"]
    assert title["property"] == "Title"
    assert title["before"] == _title(app, "E00004")
    assert title["after"] == "Data steward"
    [manager] = change["links"]
    assert manager["navigation"] == "Manager"
    assert manager["after"] == ["E00001"]
    # A Directory_User is named by its person (issue 12), no longer by its identifier.
    boss = client.get("/api/identities/E00001", headers=hr).json()["values"]
    assert manager["after_names"] == [f"{boss['FirstName']} {boss['LastName']}"]
    assert instance["decisions"] == []
    viewer = client.get(f"/api/tasks/{task_id}", headers=bearer(app, "view", ["read"])).json()
    assert viewer["may_act"] is False
    assert client.get("/api/tasks/999999", headers=hr).status_code == 404


def test_approving_persists_the_change_set_and_declining_needs_a_comment(app: FastAPI) -> None:
    client = TestClient(app)
    hr = bearer(app, "hr", DECIDER)
    first, second, _ = (t["id"] for t in _inbox(client, hr)["items"])
    approved = client.post(f"/api/tasks/{first}/decision", headers=hr,
                           json={"transition": "Approve", "comment": "as agreed"})
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["state"] == "Approved"
    assert body["instance_state"] == "completed"
    assert body["run_id"] is not None
    assert _title(app, "E00002") == "Chief of staff"
    story = client.get(f"/api/workflows/{body['instance_id']}", headers=hr).json()
    assert story["state"] == "completed"
    assert story["run_id"] == body["run_id"]
    [decision] = story["decisions"]
    assert decision["actor"] == "hr"
    assert decision["transition"] == "Review-ReviewPending-Approve"
    assert decision["comment"] == "as agreed"
    assert decision["at"].endswith("Z")
    # Decided once: a second decision is refused.
    again = client.post(f"/api/tasks/{first}/decision", headers=hr,
                        json={"transition": "Approve"})
    assert again.status_code == 409
    assert "decided already" in again.json()["detail"]

    before = _title(app, "E00003")
    bare = client.post(f"/api/tasks/{second}/decision", headers=hr,
                       json={"transition": "Decline"})
    assert bare.status_code == 409
    assert "needs a comment" in bare.json()["detail"]
    declined = client.post(f"/api/tasks/{second}/decision", headers=hr,
                           json={"transition": "Review-ReviewPending-Decline",
                                 "comment": "not this year"})
    assert declined.status_code == 200, declined.text
    assert declined.json()["instance_state"] == "aborted"
    assert _title(app, "E00003") == before
    assert _inbox(client, hr)["total"] == 1
    unknown = client.post(f"/api/tasks/{second}/decision", headers=hr,
                          json={"transition": "Execute"})
    assert unknown.status_code == 409


def test_who_may_not_act_is_refused_with_403(app: FastAPI) -> None:
    client = TestClient(app)
    task_id = _inbox(client, bearer(app, "hr", DECIDER))["items"][0]["id"]
    # Tokens given `decide` here (the API would not mint them): refused for the person.
    for name, scopes in (("view", DECIDER), ("op", ["read", "run", "decide"])):
        refused = client.post(f"/api/tasks/{task_id}/decision", headers=bearer(app, name, scopes),
                              json={"transition": "Approve"})
        assert refused.status_code == 403, refused.text
        assert set(refused.json()) == {"detail", "errors"}
        assert "may not act" in refused.json()["detail"]
    # A token without the `decide` scope decides nothing, whatever its person may do.
    read_only = client.post(f"/api/tasks/{task_id}/decision",
                            headers=bearer(app, "hr", ["read"]), json={"transition": "Approve"})
    assert read_only.status_code == 403
    assert "decide" in read_only.json()["detail"]
    # A session decides with its CSRF token, like every change.
    csrf = login(client, "view")
    page = client.post(f"/api/tasks/{task_id}/decision", headers={"X-CSRF-Token": csrf},
                       json={"transition": "Approve"})
    assert page.status_code == 403
    assert _inbox(client, bearer(app, "hr", DECIDER))["total"] == 3


def test_a_task_delegated_to_a_viewer_is_theirs_to_decide(app: FastAPI) -> None:
    client = TestClient(app)
    hr = bearer(app, "hr", DECIDER)
    task_id = _inbox(client, hr)["items"][0]["id"]
    nobody = client.post(f"/api/tasks/{task_id}/decision", headers=hr,
                         json={"transition": "Delegate", "delegate_to": "ghost"})
    assert nobody.status_code == 404
    delegated = client.post(f"/api/tasks/{task_id}/decision", headers=hr,
                            json={"transition": "Delegate", "delegate_to": "view",
                                  "comment": "you know them"})
    assert delegated.status_code == 200, delegated.text
    assert delegated.json()["state"] == "ReviewPending"
    # A viewer's token never holds `decide`: the person delegated to decides from a session.
    session = TestClient(app)
    viewer = {"X-CSRF-Token": login(session, "view")}
    assert [t["id"] for t in _inbox(session, viewer)["items"]] == [task_id]
    assert _inbox(session, viewer)["items"][0]["delegated_to"] == "view"
    approved = session.post(f"/api/tasks/{task_id}/decision", headers=viewer,
                            json={"transition": "Approve", "comment": "checked"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["instance_state"] == "completed"


def _start(client: TestClient, headers: dict[str, str], workflow: str, key: str | None,
           values: dict[str, Any], **more: Any) -> Any:
    return client.post("/api/workflows", headers=headers,
                       json={"workflow": workflow, "key": key, "values": values, **more})


def test_the_inbox_filters_by_subject_name_and_age(app: FastAPI) -> None:
    client = TestClient(app)
    hr = bearer(app, "hr", DECIDER)
    name = _inbox(client, hr, "?subject=E00003")["items"][0]["subject_display_name"]
    last = name.split()[0]
    by_name = _inbox(client, hr, f"?subject={last.lower()}")
    assert "E00003" in [t["subject_key"] for t in by_name["items"]]
    assert _inbox(client, hr, "?subject=nobody-is-called-this")["total"] == 0
    # Opened a moment ago: none waits for more than a day, all for more than none.
    assert _inbox(client, hr, "?older_than=1")["total"] == 0
    assert _inbox(client, hr, "?older_than=0")["total"] == 3
    assert client.get("/api/tasks?older_than=-1", headers=hr).status_code == 422


def test_tasks_carrying_one_change_are_decided_at_once(app: FastAPI) -> None:
    client = TestClient(app)
    hr = bearer(app, "hr", [*DECIDER, "edit"])
    alike = [_start(client, hr, "Retitle", key, {"Title": "Auditor"}).json()["task_ids"][0]
             for key in ("E00010", "E00011", "E00012")]
    other = _start(client, hr, "Retitle", "E00013", {"Title": "Clerk"}).json()["task_ids"][0]
    mixed = client.post("/api/tasks/decisions", headers=hr, json={
        "ids": [*alike, other], "transition": "Approve", "comment": "all agreed"})
    assert mixed.status_code == 409
    assert f"task {other} does not carry the change of task {alike[0]}" in \
        mixed.json()["detail"]
    assert _title(app, "E00010") != "Auditor"  # nothing decided
    done = client.post("/api/tasks/decisions", headers=hr, json={
        "ids": alike[:2], "transition": "Approve", "comment": "all agreed"})
    assert done.status_code == 200, done.text
    assert [d["task_id"] for d in done.json()["decided"]] == alike[:2]
    assert done.json()["refused"] == []
    assert _title(app, "E00010") == "Auditor"
    assert _title(app, "E00011") == "Auditor"
    story = client.get(f"/api/workflows/{done.json()['decided'][0]['instance_id']}",
                       headers=hr).json()
    assert story["decisions"][0]["comment"] == "all agreed"
    # Each task keeps its own check: a decided one is refused, named, the others go on.
    again = client.post("/api/tasks/decisions", headers=hr, json={
        "ids": alike, "transition": "Approve"})
    assert [d["task_id"] for d in again.json()["decided"]] == [alike[2]]
    assert [(r["task_id"], r["kind"]) for r in again.json()["refused"]] == [
        (alike[0], "refused"), (alike[1], "refused")]
    assert "decided already" in again.json()["refused"][0]["detail"]


def test_all_matching_decides_the_callers_alike_tasks_and_refuses_who_may_not(
        app: FastAPI) -> None:
    client = TestClient(app)
    hr = bearer(app, "hr", [*DECIDER, "edit"])
    alike = [_start(client, hr, "Retitle", key, {"Title": "Auditor"}).json()["task_ids"][0]
             for key in ("E00020", "E00021")]
    _start(client, hr, "Retitle", "E00022", {"Title": "Clerk"})
    viewer = client.post("/api/tasks/decisions", headers=bearer(app, "view", DECIDER), json={
        "ids": alike, "transition": "Approve"})
    assert viewer.status_code == 200
    assert {r["kind"] for r in viewer.json()["refused"]} == {"not_allowed"}
    assert viewer.json()["decided"] == []
    declined = client.post("/api/tasks/decisions", headers=hr, json={
        "all_matching": alike[1], "transition": "Decline", "comment": "not now"})
    assert sorted(d["task_id"] for d in declined.json()["decided"]) == sorted(alike)
    assert {d["instance_state"] for d in declined.json()["decided"]} == {"aborted"}
    assert _inbox(client, hr, "?subject=E00022")["total"] == 1
