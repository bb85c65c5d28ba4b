"""Manual edits and the Resource Reconciliation on the web (SPEC §6.4, §12, §13): the API (rights,
checks, decisions one by one and in bulk) and the pages (the edit form on a resource, the
Resource Reconciliation page with its filters and bulk buttons, CSRF on every form)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from webproject import bearer, login, sample_app

RECORD = "Directory_UserRecord"
HTML = {"Accept": "text/html"}


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> Iterator[FastAPI]:
    with sample_app(tmp_path, db_url) as application:
        yield application


def _id(app: FastAPI, entity_type: str, key: str) -> int:
    with app.state.headcount.engine.connect() as conn:
        return int(conn.execute(sa.text(
            "SELECT id FROM resources WHERE entity_type = :e AND key = :k"),
            {"e": entity_type, "k": key}).scalar_one())


def _title(client: TestClient, headers: dict[str, str], key: str = "E00002") -> object:
    answer = client.get(f"/api/entity-types/{RECORD}/resources/{key}", headers=headers)
    assert answer.status_code == 200
    return answer.json()["values"]["Title"]


def test_the_api_needs_a_log_in_and_the_edit_or_decide_right(app: FastAPI) -> None:
    client = TestClient(app)
    record = _id(app, RECORD, "E00002")
    edit = {"values": {"Title": "Chief Tester"}, "reason": "promotion"}
    decision = {"ids": [1], "decision": "approve"}
    calls = [("PATCH", f"/api/resources/{record}", edit),
             ("GET", "/api/reconciliation", None), ("GET", "/api/reconciliation/1", None),
             ("POST", "/api/reconciliation/decisions", decision),
             ("POST", "/api/reconciliation/1/decision", {"decision": "decline"})]
    for method, url, body in calls:
        assert client.request(method, url, json=body).status_code == 401, url
    viewer = bearer(app, "view", ["read"])
    hr_read = bearer(app, "hr", ["read", "decide"])  # a token narrower than its user
    operator = bearer(app, "op", ["read", "run"])
    assert client.patch(f"/api/resources/{record}", json=edit, headers=viewer).status_code \
        == 403
    assert client.patch(f"/api/resources/{record}", json=edit, headers=hr_read).status_code \
        == 403
    for method, url, body in calls[1:]:
        assert client.request(method, url, json=body, headers=operator).status_code == 403, url
        assert client.request(method, url, json=body, headers=viewer).status_code == 403, url
    assert client.get("/api/reconciliation", headers=hr_read).status_code == 200


def test_edit_then_decide_through_the_api(app: FastAPI) -> None:
    client = TestClient(app)
    hr = bearer(app, "hr", ["read", "edit", "decide"])
    record = _id(app, RECORD, "E00002")
    hr_title = _title(client, hr)

    answer = client.patch(f"/api/resources/{record}", headers=hr, json={
        "values": {"Title": "Chief Tester", "PhoneNumber": "+33 1 02 03 04 05"},
        "reason": "promotion, HR is late"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["changed"] == {"Title": [hr_title, "Chief Tester"],
                               "PhoneNumber": [None, "+33 1 02 03 04 05"]}
    assert body["states"] == {"Title": "unreconciled", "PhoneNumber": None}
    assert body["run_id"]
    assert _title(client, hr) == "Chief Tester"

    listed = client.get("/api/reconciliation", headers=hr).json()
    assert listed["total"] == 1
    item = listed["items"][0]
    assert (item["entity_type"], item["resource_key"], item["property"], item["state"],
            item["manual_value"], item["proposed_value"], item["changed_by"], item["reason"]) \
        == (RECORD, "E00002", "Title", "unreconciled", "Chief Tester", hr_title, "hr",
            "promotion, HR is late")
    assert client.get(f"/api/reconciliation/{item['id']}", headers=hr).json() == item

    declined = client.post(f"/api/reconciliation/{item['id']}/decision", headers=hr,
                           json={"decision": "decline", "comment": "checked"})
    assert declined.status_code == 200, declined.text
    assert declined.json() == {"decided": [item["id"]], "run_ids": []}
    assert client.get("/api/reconciliation", headers=hr).json()["total"] == 0  # not open
    protected = client.get("/api/reconciliation?state=protected", headers=hr).json()
    assert [i["decided_by"] for i in protected["items"]] == ["hr"]
    assert client.get(f"/api/reconciliation?state=all&entity_type={RECORD}"
                      "&resource_type=HR_Person_To_Directory_UserRecord",
                      headers=hr).json()["total"] == 1

    approved = client.post("/api/reconciliation/decisions", headers=hr,
                           json={"ids": [item["id"]], "decision": "approve"})
    assert approved.status_code == 200, approved.text
    assert len(approved.json()["run_ids"]) == 1
    assert _title(client, hr) == hr_title
    assert client.get("/api/reconciliation?state=all", headers=hr).json()["total"] == 0
    again = client.post("/api/reconciliation/decisions", headers=hr,
                        json={"ids": [item["id"]], "decision": "approve"})
    assert again.status_code == 404  # decided already


def test_the_api_refuses_values_their_property_cannot_hold(app: FastAPI) -> None:
    client = TestClient(app)
    hr = bearer(app, "hr", ["read", "edit"])
    record = _id(app, RECORD, "E00002")
    identity = _id(app, "Directory_User", "E00002")
    person = _id(app, "HR_Person", "E00002")
    refused = [
        (record, {"Manager": "E00001"}, "navigation"),
        (record, {"ContractEndDate": "31/12/2026"}, "YYYY-MM-DD"),
        (record, {"Suspended": "maybe"}, "true or false"),
        (record, {"Titel": "x"}, "did you mean `Title`"),
        (identity, {"State": "retired"}, "pre-hire, active, left"),
        (person, {"Title": "x"}, "HR files"),
    ]
    for resource, values, message in refused:
        answer = client.patch(f"/api/resources/{resource}", headers=hr,
                              json={"values": values, "reason": "test"})
        assert answer.status_code == 422, (values, answer.text)
        assert message in answer.json()["detail"], answer.text
    no_reason = client.patch(f"/api/resources/{record}", headers=hr,
                             json={"values": {"Title": "x"}})
    assert no_reason.status_code == 422
    blank = client.patch(f"/api/resources/{record}", headers=hr,
                         json={"values": {"Title": "x"}, "reason": "   "})
    assert blank.status_code == 422
    past = client.patch(f"/api/resources/{record}", headers=hr, json={
        "values": {"Title": "x"}, "reason": "r", "expires_at": "2000-01-01T00:00:00Z"})
    assert past.status_code == 422
    assert client.patch("/api/resources/999999", headers=hr, json={
        "values": {"Title": "x"}, "reason": "r"}).status_code == 404
    override = client.patch(f"/api/resources/{record}", headers=hr, json={
        "values": {"Title": "Interim"}, "reason": "r", "expires_at": "2999-01-01T00:00:00Z"})
    assert override.json()["states"] == {"Title": "override"}


def _csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_edit_a_record_and_reconcile_it_through_the_pages(app: FastAPI) -> None:
    client = TestClient(app)
    csrf = login(client, "hr")
    record = _id(app, RECORD, "E00002")

    page = client.get(f"/entity-types/{RECORD}/E00002", headers=HTML)
    assert f'hx-get="/resources/{record}/manual-values"' in page.text
    assert 'href="/reconciliation"' in page.text  # hr may decide: the navigation shows it
    block = client.get(f"/resources/{record}/manual-values", headers=HTML)
    assert f'href="/resources/{record}/edit"' in block.text

    form = client.get(f"/resources/{record}/edit", headers=HTML)
    assert form.status_code == 200
    assert 'name="v.Title"' in form.text
    assert 'name="v.RecordIdentifier"' not in form.text  # a key
    assert 'name="v.Manager"' not in form.text  # a navigation
    fields = dict(re.findall(r'name="(v\.[A-Za-z]+)" value="([^"]*)"', form.text))
    fields["v.Title"] = "Chief Tester"

    refused = client.post(f"/resources/{record}/edit", data={**fields, "reason": "x"},
                          headers=HTML)
    assert refused.status_code == 403  # no CSRF token
    bad = client.post(f"/resources/{record}/edit", headers=HTML, data={
        **fields, "v.ContractEndDate": "31/12/2026", "reason": "promotion", "csrf": csrf})
    assert bad.status_code == 422
    assert "YYYY-MM-DD" in bad.text
    assert 'value="Chief Tester"' in bad.text  # what was typed is kept
    saved = client.post(f"/resources/{record}/edit", follow_redirects=False, headers=HTML,
                        data={**fields, "reason": "promotion", "csrf": csrf})
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/entity-types/{RECORD}/E00002"
    block = client.get(f"/resources/{record}/manual-values", headers=HTML)
    assert "Chief Tester" in block.text
    assert "unreconciled" in block.text

    listing = client.get("/reconciliation", headers=HTML)
    assert listing.status_code == 200
    assert "Resource Reconciliation" in listing.text
    assert "Chief Tester" in listing.text
    for label in ("Approve", "Decline", "Postpone"):
        assert f">{label}</button>" in listing.text
    ids = re.findall(r'name="ids" value="(\d+)"', listing.text)
    assert len(ids) == 1
    decided = client.post("/reconciliation/decisions", follow_redirects=False, headers=HTML,
                          data={"ids": ids, "decision": "decline", "comment": "ok",
                                "csrf": _csrf_of(listing.text), "state": "open"})
    assert decided.status_code == 303, decided.text
    after = client.get(decided.headers["location"], headers=HTML)
    assert "1 value declined" in after.text
    assert "No value to reconcile here." in after.text
    protected = client.get("/reconciliation?state=protected", headers=HTML)
    assert "Chief Tester" in protected.text
    assert "decided by hr" in protected.text
    none_ticked = client.post("/reconciliation/decisions", headers=HTML,
                              data={"decision": "approve", "csrf": csrf})
    assert none_ticked.status_code == 422
    filtered = client.get("/reconciliation?state=all&entity_type=Directory_User",
                          headers=HTML)
    assert "Chief Tester" not in filtered.text


def test_the_pages_follow_the_rights(app: FastAPI) -> None:
    client = TestClient(app)
    login(client, "view")
    record = _id(app, RECORD, "E00002")
    home = client.get("/", headers=HTML)
    assert 'href="/reconciliation"' not in home.text
    assert client.get("/reconciliation", headers=HTML).status_code == 403
    assert client.get(f"/resources/{record}/edit", headers=HTML).status_code == 403
    block = client.get(f"/resources/{record}/manual-values", headers=HTML)
    assert block.status_code == 200
    assert "/edit" not in block.text
    admin = TestClient(app)
    login(admin, "admin")
    person = _id(app, "HR_Person", "E00002")
    assert admin.get(f"/resources/{person}/edit", headers=HTML).status_code == 422
    assert "/edit" not in admin.get(f"/resources/{person}/manual-values", headers=HTML).text
