"""The REST API: every endpoint answers 401 without credentials and 403 to a role (or a token
scope) without the right; the answers themselves."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from webproject import bearer, login, make_app, make_project

# The right each API route needs; routes absent from here only need a log-in.
NEEDS = {
    ("POST", "/api/connectors/{name}/runs"): "run",
    ("POST", "/api/connectors/{name}/evaluate"): "run",
    ("POST", "/api/runs/{run_id}/resume"): "run",
    ("POST", "/api/runs/{run_id}/cancel"): "run",
    ("GET", "/api/users"): "admin",
    ("POST", "/api/users"): "admin",
    ("GET", "/api/audit"): "admin",
    ("PATCH", "/api/resources/{resource_id}"): "edit",
    ("GET", "/api/reconciliation"): "decide",
    ("GET", "/api/reconciliation/{state_id}"): "decide",
    ("POST", "/api/reconciliation/decisions"): "decide",
    ("POST", "/api/reconciliation/{state_id}/decision"): "decide",
    ("GET", "/api/upload/template"): "upload",
    ("GET", "/api/uploads"): "upload",
    ("POST", "/api/uploads"): "upload",
    ("GET", "/api/uploads/{upload_id}"): "upload",
    ("POST", "/api/uploads/{upload_id}/preview"): "upload",
    ("POST", "/api/uploads/{upload_id}/load"): "upload",
    ("POST", "/api/uploads/{upload_id}/rollback"): "upload",
    ("GET", "/api/uploads/{upload_id}/problems.xlsx"): "upload",
}
ONLY_LOGIN = {("GET", "/api/tokens"), ("POST", "/api/tokens"), ("DELETE", "/api/tokens/{token_id}")}
PATH_VALUES = {"entity_type": "HR_Person", "key": "E00002", "name": "HR", "run_id": "1",
               "token_id": "1", "case_id": "1", "resource_id": "1", "state_id": "1",
               "task_id": "1", "instance_id": "1", "identifier": "AD",
               "campaign_id": "1", "upload_id": "1", "job_run_id": "1"}
BODIES = {"/api/connectors/{name}/runs": {}, "/api/runs/{run_id}/resume": {"reason": "r"},
          "/api/runs/{run_id}/cancel": {"reason": "r"},
          "/api/users": {"name": "x", "password": "12345678", "role": "viewer"},
          "/api/tokens": {"name": "t", "scopes": ["read"]},
          "/api/correlation-cases/{case_id}/decision": {"decision": "new"},
          "/api/tasks/{task_id}/decision": {"transition": "Approve"},
          "/api/systems/{identifier}/decisions": {"decision": "accept", "accounts": ["a"]},
          "/api/uploads/{upload_id}/rollback": {"reason": "r"}}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    folder = tmp_path_factory.mktemp("web") / "hr"
    url = f"sqlite:///{folder.parent}/headcount.db"
    make_project(folder, url)
    return make_app(folder, url)


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every documented API operation (the OpenAPI schema is the API's surface)."""
    return [(method.upper(), path) for path, operations in app.openapi()["paths"].items()
            for method in operations if path != "/api/health"]


def _call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> int:
    url = path.format(**PATH_VALUES)
    body = BODIES.get(path)
    response = client.request(method, url, headers=headers,
                              json=body if method in ("POST", "PUT") else None)
    return response.status_code


def test_every_endpoint_needs_credentials(app: FastAPI) -> None:
    client = TestClient(app)
    routes = api_routes(app)
    assert len(routes) >= 15
    for method, path in routes:
        assert _call(client, method, path, {}) == 401, (method, path)
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/openapi.json").status_code == 401
    assert client.get("/api/docs").status_code == 401


def test_every_endpoint_refuses_a_role_without_the_right(app: FastAPI) -> None:
    client = TestClient(app)
    viewer = bearer(app, "view", ["read"])
    operator = bearer(app, "op", ["read", "run"])
    run_only = bearer(app, "op", ["run"])  # a token narrower than its user
    for method, path in api_routes(app):
        if (method, path) in ONLY_LOGIN:
            continue
        need = NEEDS.get((method, path), "read")
        lacking = {"read": run_only, "run": viewer, "admin": operator, "edit": viewer,
                   "decide": operator, "upload": operator}[need]
        assert _call(client, method, path, lacking) == 403, (method, path, need)


def test_tokens_are_managed_from_a_session_and_never_exceed_their_user(app: FastAPI) -> None:
    client = TestClient(app)
    csrf = {"X-CSRF-Token": login(client, "view")}
    too_much = client.post("/api/tokens", json={"name": "t", "scopes": ["run"]}, headers=csrf)
    assert too_much.status_code == 403
    made = client.post("/api/tokens", json={"name": "t", "scopes": ["read"]}, headers=csrf)
    token = {"Authorization": f"Bearer {made.json()['token']}"}
    assert client.get("/api/me", headers=token).json() == {"name": "view", "role": "viewer"}
    # A token can neither mint a token nor revoke one.
    anonymous = TestClient(app)
    assert anonymous.post("/api/tokens", json={"name": "x", "scopes": ["read"]},
                          headers=token).status_code == 403
    mine = client.get("/api/tokens").json()
    assert anonymous.delete(f"/api/tokens/{mine[-1]['id']}", headers=token).status_code == 403
    assert client.delete(f"/api/tokens/{mine[-1]['id']}", headers=csrf).status_code == 204
    assert anonymous.get("/api/me", headers=token).status_code == 401


def test_resources_search_filter_and_links(app: FastAPI) -> None:
    client = TestClient(app)
    headers = bearer(app, "view", ["read"])
    types = {t["identifier"]: t["count"] for t in
             client.get("/api/entity-types", headers=headers).json()}
    assert {k: v for k, v in types.items() if k.startswith("HR_")} == {
        "HR_Person": 300, "HR_Organization": 60, "HR_Site": 8, "HR_ContractType": 5}
    assert types["Directory_User"] == 300  # the workforce template, filled by the policy
    page = client.get("/api/entity-types/HR_Person/resources",
                      params={"limit": 5, "ContractType": "permanent"}, headers=headers).json()
    assert page["total"] > 100
    assert all(i["values"]["ContractType"] == "permanent" for i in page["items"])
    person = client.get("/api/entity-types/HR_Person/resources/E00002", headers=headers).json()
    manager = person["links"]["Manager"][0]
    assert manager["resolved"]
    boss = client.get(f"/api/entity-types/HR_Person/resources/{manager['key']}",
                      headers=headers).json()
    assert any(link["key"] == "E00002" for link in boss["reverse"]["HR_Person.Manager"])
    assert person["history"][0]["file"] == "hr_people.csv"
    assert client.get("/api/entity-types/HR_Person/resources/NOPE",
                      headers=headers).status_code == 404


def test_session_changes_need_the_csrf_token(app: FastAPI) -> None:
    client = TestClient(app)
    csrf = login(client, "op")
    assert client.post("/api/connectors/HR/runs", json={"mode": "complete"}).status_code == 403
    launched = client.post("/api/connectors/HR/runs", json={"mode": "complete"},
                           headers={"X-CSRF-Token": csrf})
    assert launched.status_code == 202
    run_id = launched.json()["run_id"]
    assert client.get(f"/api/runs/{run_id}").json()["connector"] == "HR"


def test_login_failures_are_throttled_whatever_the_spelling(app: FastAPI) -> None:
    client = TestClient(app)
    page = client.get("/login", headers={"Accept": "text/html"})
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    for name in ("hr", "HR", "Hr", "\u210br", "hR", "hr"):  # \u210b: a look-alike H
        client.post("/login", data={"name": name, "password": "wrong", "csrf": token.group(1)},
                    follow_redirects=False)
    answer = client.post("/login", data={"name": "hr", "password": "correct-horse-battery",
                                         "csrf": token.group(1)}, follow_redirects=False)
    assert "error=failed" in answer.headers["location"]


def test_the_menu_follows_a_reload(app: FastAPI) -> None:
    from headcount.config.loader import load_project_config
    from headcount.repository import deployments
    from headcount.repository.database import begin_write

    state = app.state.headcount
    client = TestClient(app)
    login(client, "admin")
    assert "Employee" not in client.get("/", headers={"Accept": "text/html"}).text
    config = state.project_dir / "config" / "hr.yaml"
    original = config.read_text(encoding="utf-8")
    config.write_text(original.replace("display_name: Person", "display_name: Employee"),
                      encoding="utf-8")
    try:
        with begin_write(state.engine) as conn:
            deployments.deploy(conn, load_project_config(state.project_dir))
        home = client.get("/", headers={"Accept": "text/html"}).text
        assert "Employee" in home
    finally:
        config.write_text(original, encoding="utf-8")


def test_odd_input_is_refused_not_a_server_error(app: FastAPI) -> None:
    client = TestClient(app)
    bad_csrf = client.post("/login", data={"name": "a", "password": "b", "csrf": "é"},
                           follow_redirects=False)
    assert bad_csrf.status_code == 303
    headers = bearer(app, "view", ["read"])
    assert client.get("/api/entity-types/HR_Person/resources/a%00b",
                      headers=headers).status_code == 400
    assert client.get("/login?next=/%5Cevil.example", headers={"Accept": "text/html"}) \
        .text.count('value="/"') >= 1
