"""The identity page and GET /api/identities/{key} (SPEC §5, §8): state and dates, the records
with their validity (current, future, past) and main values, the provisioning orders that
concerned the identity and its records."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from headcount.repository import deployments
from headcount.repository.apply import apply_changes
from headcount.repository.database import begin_write
from headcount.repository.naming import Naming
from headcount.repository.schema import resources
from headcount.sync.changes import LINK_SCHEMA, RESOURCE_SCHEMA, ChangeSet
from webproject import bearer, login, make_app, make_project

HTML = {"Accept": "text/html"}
# Records written by hand for identity T1: dates far from any clock, so validity holds on any
# day this test runs (against `on` in the API, today on the page).
RECORDS: dict[str, dict[str, object]] = {
    "T1-PAST": {"StartDate": "2001-01-01", "EndDate": "2001-12-31", "Title": "Intern"},
    "T1-NOW": {"StartDate": "2002-01-01", "EndDate": None, "Title": "Engineer",
               "Email": "t1@example.com", "Login": "t.one"},
    "T1-NEXT": {"StartDate": "2999-01-01", "EndDate": None, "Title": "Director"},
}


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> FastAPI:
    folder = make_project(tmp_path / "hr", db_url, people=200)
    web = make_app(folder, db_url)
    engine: sa.Engine = web.state.headcount.engine
    with engine.connect() as conn:
        organization = conn.execute(sa.select(resources.c.key).where(
            resources.c.entity_type == "Directory_Organization").order_by(resources.c.key)
        ).scalars().first()
    rows = [_row("Directory_User", "T1", {"Identifier": "T1", "State": "active",
                                          "StartDate": "2001-01-01", "EndDate": None})]
    links = []
    for key, values in RECORDS.items():
        rows.append(_row("Directory_UserRecord", key, {"RecordIdentifier": key, **values}))
        links.append(_link(key, "User", "Directory_User", "T1"))
    links += [_link("T1-NOW", "Organization", "Directory_Organization", str(organization)),
              _link("T1-NOW", "Manager", "Directory_User", "E00002")]
    with begin_write(engine) as conn:
        apply_changes(conn, ChangeSet(pl.DataFrame(rows, schema=RESOURCE_SCHEMA),
                                      pl.DataFrame(links, schema=LINK_SCHEMA)), 0,
                      Naming(deployments.require_latest(conn)[1]))
    return web


def _row(entity_type: str, key: str, values: dict[str, object]) -> dict[str, object]:
    return {"kind": "insert", "entity_type": entity_type, "key": key,
            "data": json.dumps(values), "after": None, "hash": 0, "connection": "manual",
            "line": None}


def _link(key: str, navigation: str, target_type: str, target: str) -> dict[str, object]:
    return {"kind": "link_insert", "entity_type": "Directory_UserRecord", "key": key,
            "navigation": f"Directory_UserRecord.{navigation}", "target_type": target_type,
            "target_key": target, "connection": "manual", "line": None}


def test_an_identity_lists_its_records_with_their_validity(app: FastAPI) -> None:
    client = TestClient(app)
    reader = bearer(app, "view", ["read"])
    found = client.get("/api/identities/T1?on=2026-06-01", headers=reader)
    assert found.status_code == 200, found.text
    body = found.json()
    assert (body["state"], body["start"], body["end"]) == ("active", "2001-01-01", None)
    assert [(r["key"], r["validity"], r["start"], r["end"]) for r in body["records"]] == [
        ("T1-PAST", "past", "2001-01-01", "2001-12-31"),
        ("T1-NOW", "current", "2002-01-01", None),
        ("T1-NEXT", "future", "2999-01-01", None)]
    now = body["records"][1]
    assert now["values"]["Title"] == "Engineer"
    assert [m["key"] for m in now["links"]["Manager"]] == ["E00002"]
    assert now["links"]["Organization"][0]["display_name"]  # the organization's name
    assert now["links"]["Organization"][0]["resolved"] is True
    # End dates are inclusive: on its last day a record is still current.
    last_day = client.get("/api/identities/T1?on=2001-12-31", headers=reader).json()
    assert [r["validity"] for r in last_day["records"]] == ["current", "future", "future"]

    login(client, "view")
    page = client.get("/identities/T1", headers=HTML).text
    for key, validity in (("T1-PAST", "past"), ("T1-NOW", "current"), ("T1-NEXT", "future")):
        assert f'<tr class="record-{validity}">' in page
        assert key in page
    assert "Engineer" in page
    assert "t.one" in page
    assert "t1@example.com" in page
    assert "Dec 31, 2001" in page  # a day for people, in the page's language
    assert 'href="/identities/E00002"' in page  # the manager's identity


def test_an_identity_lists_the_orders_that_concerned_it(app: FastAPI) -> None:
    client = TestClient(app)
    reader = bearer(app, "view", ["read"])
    body = client.get("/api/identities/E00002", headers=reader).json()
    assert [r["key"] for r in body["records"]] == ["E00002"]
    kinds = {(o["resource_type"], o["kind"], o["target_key"], o["run_id"])
             for o in body["orders"]}
    assert ("HR_Person_To_Directory_User", "added", "E00002", 1) in kinds
    assert ("HR_Person_To_Directory_UserRecord", "added", "E00002", 1) in kinds
    assert all(o["target_key"] == "E00002" for o in body["orders"])
    assert body["more_orders"] is False

    login(client, "view")
    resource_page = client.get("/entity-types/Directory_User/E00002", headers=HTML).text
    assert 'href="/identities/E00002"' in resource_page
    page = client.get("/identities/E00002", headers=HTML).text
    assert 'href="/runs/1"' in page
    assert "HR_Person_To_Directory_UserRecord" in page


def test_an_unknown_identity_and_no_credentials(app: FastAPI) -> None:
    client = TestClient(app)
    assert client.get("/api/identities/T1").status_code == 401
    reader = bearer(app, "view", ["read"])
    assert client.get("/api/identities/NOPE", headers=reader).status_code == 404
    assert client.get("/api/identities/T1?on=soon", headers=reader).status_code == 422


def test_the_identity_page_names_the_person_and_what_it_links_to(app: FastAPI) -> None:
    client = TestClient(app)
    reader = bearer(app, "view", ["read"])
    body = client.get("/api/identities/E00002", headers=reader).json()
    first, last = body["values"]["FirstName"], body["values"]["LastName"]
    record = body["records"][0]

    login(client, "view")
    page = client.get("/identities/E00002", headers=HTML).text
    assert f"<title>{first} {last} — Identity · headcount</title>" in page
    assert f'<h1>{first} {last} <span class="key">E00002</span></h1>' in page
    for navigation in ("Organization", "Site"):
        target = record["links"][navigation][0]
        assert target["display_name"] != target["key"]
        assert (f'<a href="/entity-types/{target["entity_type"]}/{target["key"]}">'
                f'{target["display_name"]}</a> <span class="key">{target["key"]}</span>') in page
    # The orders' targets by name: the identity itself and its record.
    assert (f'<a href="/entity-types/Directory_User/E00002">{first} {last}</a> '
            f'<span class="key">E00002</span>') in page
    assert f'<a href="/entity-types/Directory_UserRecord/E00002">{record["display_name"]}</a>' \
        in page


def test_an_identity_records_manager_by_name(app: FastAPI) -> None:
    client = TestClient(app)
    reader = bearer(app, "view", ["read"])
    manager = client.get("/api/identities/E00002", headers=reader).json()["values"]
    login(client, "view")
    page = client.get("/identities/T1", headers=HTML).text
    assert (f'<a href="/identities/E00002">{manager["FirstName"]} {manager["LastName"]}</a> '
            '<span class="key">E00002</span>') in page
    # T1 has no names: its key is its name, shown once.
    assert "<title>T1 — Identity · headcount</title>" in page
