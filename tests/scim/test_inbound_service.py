"""The inbound SCIM service of a pushed connector (docs/scim.md) on SQLite and PostgreSQL: each
method, ETags (412, 304), PATCH with and without a path, Bulk limits and bulkId references,
userName uniqueness, a value the connection refuses, a revoked token; a POSTed user becomes an
HR person and an identity through the run its request queued, and a DELETE a leaver through the
deletion thresholds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from headcount.jobs.blocked import previewed_total, resume
from headcount.project import ProjectContext
from headcount.repository import runs, tokens
from headcount.repository.provenance import last_changes
from headcount.repository.schema import links, resources
from pushproject import CONTOSO, ENTERPRISE, push_app, settled
from pushproject import user as entra_user

BASE = "/scim/v2/connectors/HR"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def scim_token(app: FastAPI, name: str = "hris") -> tuple[int, dict[str, str]]:
    """A token with the scopes scim (to write) and push (to follow the pushed requests)."""
    with app.state.headcount.engine.begin() as conn:
        token, secret = tokens.create(conn, name, ["scim", "push"], ["HR"], "root")
    return token.id, {"Authorization": f"Bearer {secret}",
                      "Content-Type": "application/scim+json"}


def user(employee: str, first: str, last: str, **more: Any) -> dict[str, Any]:
    """A user as the push tests send it; without a manager, no `manager` (SCIM requires
    its `value`)."""
    data = entra_user(employee, first, last, **more)
    if data[ENTERPRISE]["manager"]["value"] is None:
        del data[ENTERPRISE]["manager"]
    return data


def people(app: FastAPI, entity_type: str = "HR_Person") -> dict[str, Any]:
    with app.state.headcount.engine.connect() as conn:
        return {key: json.loads(data) for key, data in conn.execute(
            sa.select(resources.c.key, resources.c.data)
            .where(resources.c.entity_type == entity_type))}


def applied(client: TestClient, answer: Any, headers: dict[str, str]) -> list[dict[str, Any]]:
    """The status of each pushed request a SCIM answer names, once its run has ended."""
    found = answer.headers["Headcount-Push-Requests"].split(", ")
    return [settled(client, f"/api/push/HR/requests/{r}", headers) for r in found]


def test_each_method_with_etags(tmp_path: Path, db_url: str) -> None:
    with push_app(tmp_path, db_url) as (app, client):
        _, headers = scim_token(app)
        created = client.post(f"{BASE}/Users", headers=headers,
                              json=user("E97001", "Barbara", "Jensen"))
        assert created.status_code == 201, created.text
        body = created.json()
        location = created.headers["location"]
        assert location == f"http://testserver{BASE}/Users/{body['id']}"
        assert body["meta"]["location"] == location
        assert body["userName"] == "barbara.jensen@example.com"
        assert body[ENTERPRISE]["employeeNumber"] == "E97001"
        assert created.headers["etag"] == body["meta"]["version"]
        assert created.headers["Headcount-Job-Run"]
        path = f"{BASE}/Users/{body['id']}"
        # GET: the document at once, its ETag; If-None-Match → 304.
        got = client.get(path, headers=headers)
        assert got.status_code == 200
        assert got.json()["name"]["givenName"] == "Barbara"
        etag = got.headers["etag"]
        assert client.get(path, headers=headers | {"If-None-Match": etag}).status_code == 304
        # PUT replaces; a stale If-Match → 412.
        replacement = user("E97001", "Barbara", "Jensen-Smith", title="Head of tours")
        put = client.put(path, headers=headers | {"If-Match": etag}, json=replacement)
        assert put.status_code == 200, put.text
        assert put.json()["name"]["familyName"] == "Jensen-Smith"
        assert put.headers["etag"] != etag
        stale = client.put(path, headers=headers | {"If-Match": etag}, json=replacement)
        assert stale.status_code == 412
        # PATCH with a path (a value filter) and without one.
        patched = client.patch(path, headers=headers, json={"schemas": [PATCH_OP],
                                                            "Operations": [
            {"op": "replace", "path": 'emails[type eq "work"].value',
             "value": "bj@example.com"},
            {"op": "replace", "value": {"title": "Tour guide", "name": {"givenName": "Barb"}}},
            {"op": "remove", "path": "title"}]})
        assert patched.status_code == 204, patched.text  # RFC 7644 §3.5.2: no body asked
        found = client.get(path, headers=headers).json()
        assert found["emails"] == [{"value": "bj@example.com", "type": "work", "primary": True}]
        assert found["name"]["givenName"] == "Barb"
        assert "title" not in found
        # The list: filters, sort, paging, attributes.
        client.post(f"{BASE}/Users", headers=headers, json=user("E97002", "John", "Smith"))
        listed = client.get(f"{BASE}/Users", headers=headers, params={
            "filter": 'userName sw "john" or name.givenName eq "Barb"',
            "sortBy": "userName", "sortOrder": "descending", "attributes": "userName"})
        assert listed.status_code == 200, listed.text
        assert [u["userName"] for u in listed.json()["Resources"]] == \
            ["john.smith@example.com", "barbara.jensen-smith@example.com"]
        assert set(listed.json()["Resources"][0]) == {"id", "schemas", "userName"}
        for query, found_names in [
                ('not (userName sw "john")', ["barbara.jensen-smith@example.com"]),
                ('title pr and userName co "JOHN"', ["john.smith@example.com"]),
                ('meta.lastModified gt "2000-01-01T00:00:00Z"', ["barbara.jensen-smith@example.com",
                                                                  "john.smith@example.com"]),
                ('meta.created lt "2000-01-01T00:00:00Z"', []),
                (f'{ENTERPRISE}:employeeNumber ge "E97002"', ["john.smith@example.com"]),
                ('emails[type eq "work" and value ne "bj@example.com"]',
                 ["john.smith@example.com"])]:
            answer = client.get(f"{BASE}/Users", headers=headers, params={
                "filter": query, "sortBy": "userName", "excludedAttributes": "name"})
            assert answer.status_code == 200, (query, answer.text)
            assert [u["userName"] for u in answer.json().get("Resources", [])] == found_names
            assert all("name" not in u for u in answer.json().get("Resources", []))
        page = client.get(f"{BASE}/Users", headers=headers,
                          params={"startIndex": 2, "count": 1, "sortBy": "userName"}).json()
        assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (2, 2, 1)
        assert page["Resources"][0]["userName"] == "john.smith@example.com"
        # DELETE: 204, then gone.
        assert client.delete(path, headers=headers).status_code == 204
        assert client.get(path, headers=headers).status_code == 404


def test_uniqueness_refused_values_and_tokens(tmp_path: Path, db_url: str) -> None:
    with push_app(tmp_path, db_url) as (app, client):
        token_id, headers = scim_token(app)
        first = client.post(f"{BASE}/Users", headers=headers, json=user("E97101", "Ann", "Lee"))
        assert first.status_code == 201
        again = user("E97102", "Ann", "Lee") | {"userName": "ANN.LEE@example.com"}
        taken = client.post(f"{BASE}/Users", headers=headers, json=again)
        assert taken.status_code == 409
        assert taken.json()["scimType"] == "uniqueness"
        bad = client.post(f"{BASE}/Users", headers=headers,
                          json=user("E97103", "Tim", "Mo", birth="31/02/1990"))
        assert bad.status_code == 400
        assert bad.json()["scimType"] == "invalidValue"
        assert bad.json()["detail"].startswith(f"{CONTOSO}:BirthDate: '31/02/1990' is not")
        listed = client.get(f"{BASE}/Users", headers=headers).json()
        assert listed["totalResults"] == 1  # nothing of the refused ones is kept
        assert "Headcount-Job-Run" not in bad.headers
        with app.state.headcount.engine.begin() as conn:
            tokens.revoke(conn, token_id, "root")
        refused = client.get(f"{BASE}/Users", headers=headers)
        assert refused.status_code == 401
        assert refused.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        assert client.get(f"{BASE}/Users", headers={"Authorization": "Bearer nothing"}
                          ).status_code == 401
        # The service provider configuration needs no token (RFC 7643 §5).
        config = client.get(f"{BASE}/ServiceProviderConfig").json()
        assert config["bulk"] == {"supported": True, "maxOperations": 50,
                                  "maxPayloadSize": 1048576}
        assert config["patch"]["supported"]
        assert config["etag"]["supported"]


def test_bulk_limits_and_references(tmp_path: Path, db_url: str) -> None:
    with push_app(tmp_path, db_url) as (app, client):
        _, headers = scim_token(app)
        answer = client.post(f"{BASE}/Bulk", headers=headers, json={
            "schemas": [BULK], "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "boss",
                 "data": user("E97201", "Big", "Boss")},
                # Its manager the User the first operation creates: HR reads its key.
                {"method": "POST", "path": "/Users", "bulkId": "clerk",
                 "data": user("E97202", "Small", "Clerk") | {ENTERPRISE: {
                     "employeeNumber": "E97202", "department": "ORG001",
                     "manager": {"value": "bulkId:boss", "$ref": "Users/bulkId:boss"}}}},
                {"method": "PATCH", "path": "/Users/bulkId:clerk", "data": {
                    "schemas": [PATCH_OP], "Operations": [
                        {"op": "replace", "path": "title", "value": "Clerk"}]}},
                {"method": "POST", "path": "/Users", "bulkId": "bad",
                 "data": user("E97203", "No", "Date", hire="soon")}]})
        assert answer.status_code == 200, answer.text
        statuses = [op["status"] for op in answer.json()["Operations"]]
        assert statuses == ["201", "201", "200", "400"], answer.text
        # One run for the whole request, applying its three writes.
        assert len(answer.headers["Headcount-Push-Requests"].split(", ")) == 3
        for status in applied(client, answer, headers):
            assert [op["status"] for op in status["Operations"]] == ["applied"]
        assert people(app)["E97202"]["Title"] == "Clerk"
        with app.state.headcount.engine.connect() as conn:
            managers = conn.execute(sa.select(links.c.target_key).join(
                resources, resources.c.id == links.c.source_id).where(
                resources.c.key == "E97202", links.c.navigation == "HR_Person.Manager")).all()
        assert managers == [("E97201",)]
        too_many = client.post(f"{BASE}/Bulk", headers=headers, json={
            "schemas": [BULK], "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": str(n),
                 "data": user(f"E973{n:02}", "P", f"N{n}")} for n in range(51)]})
        assert too_many.status_code == 413
        too_large = client.post(f"{BASE}/Bulk", headers=headers, content=json.dumps({
            "schemas": [BULK], "Operations": [{"method": "POST", "path": "/Users",
                                               "data": user("E97400", "X" * 1_100_000, "Y")}]}))
        assert too_large.status_code == 413


def test_users_become_people_and_identities_and_leave_through_the_thresholds(
        tmp_path: Path, db_url: str) -> None:
    with push_app(tmp_path, db_url) as (app, client):
        token_id, headers = scim_token(app)
        created = client.post(f"{BASE}/Users", headers=headers,
                              json=user("E97501", "Rose", "Tyler", title="Shop assistant"))
        assert created.status_code == 201
        [status] = applied(client, created, headers)
        assert status["Operations"][0]["status"] == "applied"
        assert status["kind"] == "scim"
        assert people(app)["E97501"]["Title"] == "Shop assistant"
        assert "E97501" in people(app, "Directory_User")
        with app.state.headcount.engine.connect() as conn:
            origins = last_changes(conn, [("HR_Person", "E97501")])[("HR_Person", "E97501")]
        assert f"pushed by token {token_id} (hris), request {status['id']}, operation 1" \
            in origins["Title"].where()
        # DELETE: the project's deletion threshold is 0, so the leaver waits for a person.
        gone = client.delete(f"{BASE}/Users/{created.json()['id']}", headers=headers)
        assert gone.status_code == 204
        [status] = applied(client, gone, headers)
        assert status["Operations"][0]["status"] == "blocked"
        run_id = status["Operations"][0]["run"]
        assert "E97501" in people(app)
        ctx = ProjectContext(app.state.headcount.project_dir, app.state.headcount.engine)
        with app.state.headcount.engine.connect() as conn:
            blocked = runs.get_run(conn, run_id)
        assert (blocked.state, blocked.mode) == (runs.BLOCKED, "incremental")
        resume(ctx, run_id, "Rose left", "ann", expected_orders=previewed_total(blocked))
        assert "E97501" not in people(app)
        assert "E97501" in people(app, "Directory_User")  # kept, marked left


def test_a_changed_key_removes_the_old_one(tmp_path: Path, db_url: str) -> None:
    with push_app(tmp_path, db_url) as (app, client):
        _, headers = scim_token(app)
        created = client.post(f"{BASE}/Users", headers=headers,
                              json=user("E97601", "Amy", "Pond"))
        applied(client, created, headers)
        put = client.put(f"{BASE}/Users/{created.json()['id']}", headers=headers,
                         json=user("E97602", "Amy", "Pond"))
        assert put.status_code == 200, put.text
        [status] = applied(client, put, headers)
        # The old key leaves (the sample's deletion threshold blocks the run), the new arrives.
        assert [(op["key"], op["status"]) for op in status["Operations"]] == \
            [("E97601", "blocked"), ("E97602", "blocked")]
