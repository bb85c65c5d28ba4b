"""The Users page's API tokens (SPEC §13): create one (shown once, in the answer, never in a
URL) and revoke it, with the CSRF token, from a log-in session only, audited as by the API."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from webproject import bearer, login, sample_app

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    with sample_app(tmp_path_factory.mktemp("userspage"), synchronized=False) as application:
        yield application


def create(client: TestClient, csrf: str, name: str, scopes: list[str]) -> str:
    page = client.post("/users/tokens", headers=HTML,
                       data={"csrf": csrf, "name": name, "scopes": scopes})
    assert page.status_code == 200, page.text
    found = re.search(r'id="new-token-value"[^>]* value="(hc_[^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def token_id(client: TestClient, name: str) -> int:
    return next(int(t["id"]) for t in client.get("/api/tokens").json() if t["name"] == name)


def test_a_token_made_on_the_page_works_until_revoked_there(app: FastAPI) -> None:
    client = TestClient(app)
    csrf = login(client, "admin")
    token = create(client, csrf, "export", ["read", "run"])
    auth = {"Authorization": f"Bearer {token}"}
    scripts = TestClient(app)
    assert scripts.get("/api/me", headers=auth).json()["name"] == "admin"
    assert scripts.get("/api/users", headers=auth).status_code == 403  # no admin scope
    # Shown once: the list shows its name and scopes, never the token again.
    listing = client.get("/users", headers=HTML).text
    assert token not in listing
    assert "read, run" in listing

    revoked = client.post(f"/users/tokens/{token_id(client, 'export')}/revoke",
                          headers=HTML, data={"csrf": csrf}, follow_redirects=False)
    assert revoked.status_code == 303
    assert revoked.headers["location"] == "/users"
    assert scripts.get("/api/me", headers=auth).status_code == 401
    actions = [(a["action"], a["target"]) for a in client.get("/api/audit").json()]
    assert ("token created", "export") in actions
    assert ("token revoked", str(token_id(client, "export"))) in actions


def test_the_forms_need_the_csrf_token(app: FastAPI) -> None:
    client = TestClient(app)
    csrf = login(client, "admin")
    refused = client.post("/users/tokens", headers=HTML,
                          data={"name": "x", "scopes": ["read"]})
    assert refused.status_code == 403
    create(client, csrf, "kept", ["read"])
    kept = token_id(client, "kept")
    assert client.post(f"/users/tokens/{kept}/revoke", headers=HTML,
                       data={"csrf": "wrong"}).status_code == 403
    assert next(t for t in client.get("/api/tokens").json()
                if t["id"] == kept)["revoked_at"] is None


def test_a_token_needs_a_name_and_a_scope(app: FastAPI) -> None:
    client = TestClient(app)
    csrf = login(client, "admin")
    for data in ({"name": "nothing"}, {"name": "", "scopes": ["read"]},
                 {"name": "odd", "scopes": ["everything"]}):
        page = client.post("/users/tokens", headers=HTML, data={"csrf": csrf, **data})
        assert page.status_code == 422, data
        assert "at least one scope" in page.text
        assert "hc_" not in page.text.replace("hc_…", "")


def test_only_an_administrators_session_uses_the_page(app: FastAPI) -> None:
    viewer = TestClient(app)
    csrf = login(viewer, "view")
    assert viewer.post("/users/tokens", headers=HTML,
                       data={"csrf": csrf, "name": "v", "scopes": ["read"]}).status_code == 403
    # A token cannot mint or revoke tokens, on the page as with the API.
    scripts = TestClient(app)
    auth = bearer(app, "admin", ["read", "admin"])
    assert scripts.post("/users/tokens", headers={**HTML, **auth},
                        data={"name": "t", "scopes": ["read"]}).status_code == 403
    assert scripts.post("/users/tokens/1/revoke", headers={**HTML, **auth}).status_code == 403


def test_a_token_of_someone_else_or_unknown_is_not_found(app: FastAPI) -> None:
    hr = TestClient(app)
    hr_csrf = login(hr, "hr")
    made = hr.post("/api/tokens", json={"name": "hr's", "scopes": ["read"]},
                   headers={"X-CSRF-Token": hr_csrf})
    assert made.status_code == 201
    theirs = token_id(hr, "hr's")
    admin = TestClient(app)
    csrf = login(admin, "admin")
    for unknown in (theirs, 999_999):
        assert admin.post(f"/users/tokens/{unknown}/revoke", headers=HTML,
                          data={"csrf": csrf}).status_code == 404
    assert next(t for t in hr.get("/api/tokens").json() if t["id"] == theirs)[
        "revoked_at"] is None
