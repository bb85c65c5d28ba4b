"""Review campaigns on the web and over the API (SPEC §10, §12), on SQLite and PostgreSQL: the
Reviews menu and its create form, a campaign's progress bars and quality signals for its owner,
a reviewer's page with only their items, bulk approval after a confirmation, review items in
My Tasks and in the top bar's count, the API's refusals and the report."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from campaignproject import Sample, sample
from webproject import login, make_app

HTML = {"Accept": "text/html"}
BODY = {"name": "Q4 identities", "owner": "boss", "starts_on": "2026-11-01",
        "ends_on": "2999-12-31",
        "stages": [{"name": "Manager", "reviewer": "manager", "fallback": "user:colleague"}]}


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> Iterator[tuple[Sample, FastAPI]]:
    with sample(tmp_path / "hr", db_url) as s:
        app = make_app(s.ctx.directory, db_url)
        try:
            yield s, app
        finally:
            app.state.headcount.engine.dispose()


def _client(app: FastAPI, name: str) -> TestClient:
    client = TestClient(app)
    csrf = login(client, name)
    client.headers["X-CSRF-Token"] = csrf
    return client


def _create(app: FastAPI) -> int:
    answer = _client(app, "boss").post("/api/campaigns", json=BODY)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def test_the_api_shows_a_reviewer_only_their_items(world: tuple[Sample, FastAPI]) -> None:
    s, app = world
    campaign_id = _create(app)
    mgr = _client(app, "mgr")
    mine = mgr.get(f"/api/campaigns/{campaign_id}/items?limit=500").json()
    assert {i["subject_key"] for i in mine["items"]} == s.reports
    assert {i["reviewer"] for i in mine["items"]} == {"mgr"}
    theirs = _client(app, "colleague").get(f"/api/campaigns/{campaign_id}/items").json()
    assert not {i["subject_key"] for i in theirs["items"]} & s.reports
    refused = mgr.post(f"/api/campaigns/{campaign_id}/decisions",
                       json={"items": [theirs["items"][0]["id"]], "decision": "approve"})
    assert refused.status_code == 403
    assert mgr.post(f"/api/campaigns/{campaign_id}/sign-off").status_code == 409
    ids = [i["id"] for i in mine["items"]]
    done = mgr.post(f"/api/campaigns/{campaign_id}/decisions",
                    json={"items": ids, "decision": "approve"})
    assert done.json()["decided"] == ids
    assert mgr.post(f"/api/campaigns/{campaign_id}/sign-off").json() == {"final": len(ids)}
    detail = mgr.get(f"/api/campaigns/{campaign_id}").json()
    assert detail["reviewer_progress"]["mgr"]["percent"] == 100
    # The report is its owner's (and administrators').
    assert mgr.get(f"/api/campaigns/{campaign_id}/report").status_code == 403
    text = _client(app, "boss").get(f"/api/campaigns/{campaign_id}/report?format=csv").text
    assert len(list(csv.DictReader(io.StringIO(text)))) == detail["progress"]["total"]
    assert _client(app, "mgr").post("/api/campaigns", json=BODY).status_code == 403
    assert mgr.get("/api/campaigns/999").status_code == 404


def test_the_pages_create_decide_in_bulk_and_show_progress(
        world: tuple[Sample, FastAPI]) -> None:
    s, app = world
    boss = _client(app, "boss")
    page = boss.get("/reviews", headers=HTML)
    assert 'href="/reviews">Campaigns</a>' in page.text
    assert "Create a campaign" in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    made = boss.post("/reviews/campaigns", data={
        "csrf": csrf.group(1), "kind": "certification", "name": "From the form",
        "starts_on": "2026-11-01", "ends_on": "2999-12-31", "entity_type": "Directory_User",
        "filters": "State=*", "reviewers": "manager", "fallback": "user:colleague"},
        headers=HTML, follow_redirects=False)
    assert made.status_code == 303, made.text
    campaign = made.headers["location"]
    mgr = _client(app, "mgr")
    tasks = mgr.get("/tasks", headers=HTML).text
    assert f'href="{campaign}/mine"' in tasks
    top = re.search(r'href="/tasks">My Tasks <span class="count">(\d+)<', tasks)
    assert top is not None
    assert int(top.group(1)) == len(s.reports)
    mine = mgr.get(f"{campaign}/mine", headers=HTML).text
    ids = re.findall(r'name="ids" value="(\d+)" aria-label', mine)
    assert len(ids) == len(s.reports)
    token = re.search(r'name="csrf" value="([^"]+)"', mine)
    assert token is not None
    asked = mgr.post(f"{campaign}/decision", headers=HTML, data={
        "csrf": token.group(1), "decision": "approve", "bulk": "1", "ids": ids})
    assert f"Approve {len(ids)} items?" in asked.text
    assert "Confirm" in asked.text
    assert f"{len(ids)} to decide" in asked.text  # nothing decided before the confirmation
    done = mgr.post(f"{campaign}/decision", headers=HTML, data={
        "csrf": token.group(1), "decision": "approve", "bulk": "1", "confirmed": "1",
        "ids": ids})
    assert "0 to decide" in done.text
    overview = boss.get(campaign, headers=HTML).text
    assert "Reviewer quality" in overview
    assert re.search(r"Progress of mgr\">100 %</progress>", overview)
    assert "Reviewer quality" not in mgr.get(campaign, headers=HTML).text
    assert boss.get(f"{campaign}/report.xlsx").content[:2] == b"PK"
