"""The review of a managed system in the API and the pages (SPEC §10, §12): counts and accounts
per category, decisions on many accounts at once (right `decide`, audited), owners imported from
CSV, the CSV exports, the owner on an account's page and the accounts on an identity's page."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from accountsproject import Built, make_accounts_project, sync_ad
from webproject import bearer, login, make_app


@pytest.fixture
def built_app(tmp_path: Path, db_url: str) -> tuple[FastAPI, Built]:
    folder, built = make_accounts_project(tmp_path / "hr", db_url)
    assert sync_ad(folder, db_url).state == "succeeded"
    return make_app(folder, db_url), built


def test_the_api_lists_counts_and_accounts_per_category(built_app: tuple[FastAPI, Built]
                                                       ) -> None:
    app, built = built_app
    client = TestClient(app)
    reader = bearer(app, "view", ["read"])
    systems = client.get("/api/systems", headers=reader).json()
    assert [s["identifier"] for s in systems] == ["AD"]
    assert systems[0]["counts"] == {
        "accounts": built.total, "orphan": len(built.orphans),
        "orphan_suggested": len(built.suggested), "unused": len(built.unused),
        "owner_left": len(built.owner_left), "service": len(built.service)}
    for category, expected in (("orphan", built.orphans), ("unused", built.unused),
                               ("owner-left", built.owner_left), ("service", built.service)):
        page = client.get("/api/systems/AD/accounts", headers=reader,
                          params={"category": category, "limit": 1000}).json()
        assert sorted(a["key"] for a in page["items"]) == sorted(expected), category
        assert page["total"] == len(expected)
    page = client.get("/api/systems/AD/accounts", headers=reader,
                      params={"category": "orphan", "suggested": "true", "limit": 1}).json()
    first = page["items"][0]
    assert page["total"] == len(built.suggested)
    assert first["suggested_owner"] == built.suggested[first["key"]]
    assert first["suggestion_score"] == 60
    assert page["freshness"]["last_logon_lag_days"] == 14
    assert page["freshness"]["last_read"].endswith("Z")
    assert client.get("/api/systems/XX/accounts", headers=reader).status_code == 404
    assert client.get("/api/systems/AD/accounts", headers=reader,
                      params={"category": "lost"}).status_code == 422


def test_decisions_in_bulk_through_the_api(built_app: tuple[FastAPI, Built]) -> None:
    app, built = built_app
    client = TestClient(app)
    decider = bearer(app, "admin", ["read", "decide"])
    reader = bearer(app, "view", ["read"])
    suggested = sorted(built.suggested)
    body = {"decision": "accept", "accounts": suggested, "comment": "checked"}
    assert client.post("/api/systems/AD/decisions", json=body,
                       headers=reader).status_code == 403
    done = client.post("/api/systems/AD/decisions", json=body, headers=decider)
    assert done.status_code == 200, done.text
    assert done.json()["accounts"] == len(suggested)
    listed = client.get("/api/systems", headers=reader).json()[0]["counts"]
    assert listed["orphan"] == len(built.orphans) - len(suggested)
    until = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    refused = client.post("/api/systems/AD/decisions", headers=decider, json={
        "decision": "service", "accounts": ["orphan1"], "until": until})
    assert refused.status_code == 422
    assert "responsible" in refused.json()["detail"]
    deleted = client.post("/api/systems/AD/decisions", headers=decider, json={
        "decision": "delete", "accounts": ["orphan1", "orphan2"]}).json()
    assert sorted(deleted["orders"]) == ["orphan1", "orphan2"]
    orders = client.get("/api/systems/AD/deprovisioning.csv", headers=reader)
    assert orders.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(orders.text)))
    assert [(r["account"], r["step"]) for r in lines] == [("orphan1", "disable"),
                                                         ("orphan2", "disable")]
    undone = client.post("/api/systems/AD/decisions", headers=decider, json={
        "decision": "undo", "accounts": ["orphan1"]})
    assert undone.status_code == 200
    again = client.post("/api/systems/AD/decisions", headers=decider, json={
        "decision": "undo", "accounts": ["orphan1"]})
    assert again.status_code == 409
    unknown = client.post("/api/systems/AD/decisions", headers=decider, json={
        "decision": "disable", "accounts": ["nobody"]})
    assert unknown.status_code == 422


def test_owners_imported_from_a_csv_body(built_app: tuple[FastAPI, Built]) -> None:
    app, built = built_app
    client = TestClient(app)
    decider = bearer(app, "admin", ["read", "decide"])
    owner = built.owned["neverused"]
    text = f"account,owner\norphan1,{owner}\norphan2,{owner}\n"
    done = client.post("/api/systems/AD/owners", content=text.encode(),
                       headers={**decider, "Content-Type": "text/csv"})
    assert done.json() == {"assigned": 2}
    bad = client.post("/api/systems/AD/owners", content=b"account,owner\norphan3,NOBODY\n",
                      headers={**decider, "Content-Type": "text/csv"})
    assert bad.status_code == 422
    page = client.get("/api/systems/AD/accounts", headers=decider,
                      params={"category": "orphan", "limit": 1000}).json()
    keys = [a["key"] for a in page["items"]]
    assert "orphan1" not in keys
    assert "orphan3" in keys


def test_the_page_decides_on_checked_accounts(built_app: tuple[FastAPI, Built]) -> None:
    app, built = built_app
    client = TestClient(app)
    csrf = login(client, "admin")
    page = client.get("/systems/AD", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "Accounts — Active Directory" in page.text
    assert f"Orphans <span class=\"count\">{len(built.orphans)}" in page.text
    assert "replication lag" in page.text
    suggested = sorted(built.suggested)[:3]
    done = client.post("/systems/AD/decisions", data={
        "csrf": csrf, "decision": "accept", "accounts": suggested, "comment": "ok",
        "query": "category=orphan&suggested=true"}, follow_redirects=False)
    assert done.status_code == 303
    shown = client.get(done.headers["location"], headers={"Accept": "text/html"})
    assert "3 suggested owner(s) accepted" in shown.text
    exported = client.get("/api/systems/AD/accounts.csv?category=orphan")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert len(rows) == 1 + len(built.orphans) - 3
    # The account shows its owner with the eye icon and the decision; the identity its
    # accounts.
    account = client.get(f"/entity-types/AD_User/{suggested[0]}",
                         headers={"Accept": "text/html"})
    owner = built.suggested[suggested[0]]
    assert f'href="/entity-types/Directory_User/{owner}"' in account.text
    assert "Decisions on this account" in account.text
    # The owner decided on, by name with the key beside.
    assert re.search(r"<td>admin</td><td>owner → [^<]+ <span class=\"key\">"
                     + re.escape(owner) + "</span>", account.text)
    identity = client.get(f"/identities/{owner}", headers={"Accept": "text/html"})
    assert '<h2 id="accounts">Accounts</h2>' in identity.text
    assert f'href="/entity-types/AD_User/{suggested[0]}"' in identity.text
    resource = client.get(f"/entity-types/Directory_User/{owner}",
                          headers={"Accept": "text/html"})
    assert '<h2 id="accounts">Accounts</h2>' in resource.text
    menu = client.get("/", headers={"Accept": "text/html"})
    assert '<a href="/systems/AD">Accounts — Active Directory</a>' in menu.text


def test_an_account_case_is_decided_on_the_cases_page(built_app: tuple[FastAPI, Built]) -> None:
    app, built = built_app
    client = TestClient(app)
    csrf = login(client, "admin")
    account = sorted(built.suggested)[0]
    listed = client.get("/api/correlation-cases", params={"limit": 500}).json()
    case = next(c for c in listed["items"] if c["source_key"] == account)
    page = client.get(f"/correlation-cases/{case['id']}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "No owner" in page.text
    assert "score 60" in page.text
    done = client.post(f"/correlation-cases/{case['id']}/decision", data={
        "csrf": csrf, "decision": "new", "comment": "a shared mailbox"},
        follow_redirects=True, headers={"Accept": "text/html"})
    assert "no owner, by admin" in done.text
    assert "takes effect at its next run" not in done.text
    row = client.get("/api/systems/AD/accounts", params={"q": account}).json()["items"][0]
    assert row["suggested_owner"] is None
    assert row["categories"] == ["orphan"]
