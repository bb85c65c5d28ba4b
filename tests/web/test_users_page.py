"""The Users page's API tokens (SPEC §13): create one (shown once, in the answer, never in a
URL) and revoke it, with the CSRF token, from a log-in session only, audited as by the API."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from webproject import PASSWORD, bearer, login, sample_app

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


# Administering users (issue 12 item 8): each action through the page, audited, with its rules.

def add(client: TestClient, csrf: str, name: str, role: str) -> None:
    added = client.post("/users", headers=HTML, follow_redirects=False,
                        data={"csrf": csrf, "name": name, "password": PASSWORD, "role": role})
    assert added.status_code == 303, added.text
    assert added.headers["location"] == f"/users/{name}"


def act(client: TestClient, csrf: str, name: str, action: str,
        **data: str) -> tuple[int, str]:
    answer = client.post(f"/users/{name}/{action}", headers=HTML,
                         data={"csrf": csrf, **data})
    return answer.status_code, answer.text


def audited(client: TestClient) -> list[tuple[str, str, str, str | None]]:
    return [(a["actor"], a["action"], a["target"], a["reason"])
            for a in client.get("/api/audit").json()]


def test_the_list_shows_role_state_e_mail_and_last_log_in(app: FastAPI) -> None:
    admin = TestClient(app)
    csrf = login(admin, "admin")
    add(admin, csrf, "lister", "reviewer")
    page = admin.get("/users", headers=HTML).text
    row = re.search(r'<tr>\s*<td><a href="/users/lister">lister</a></td>(.*?)</tr>', page,
                    re.S)
    assert row is not None
    assert re.findall(r"<td>([^<]*)</td>", row.group(1)) == ["Reviewer", "Active", "", "Never"]
    assert re.search(r'href="/users/admin">admin</a></td>\s*<td>Administrator</td>\s*'
                     r"<td>Active</td>\s*<td></td>\s*<td>\w{3} \d", page)  # logged in: when
    exported = admin.get("/users?export=csv")
    assert exported.headers["content-type"].startswith("text/csv")
    assert "lister,reviewer,active," in exported.text


def test_role_disable_enable_through_the_page_are_audited(app: FastAPI) -> None:
    admin = TestClient(app)
    csrf = login(admin, "admin")
    add(admin, csrf, "rolf", "viewer")
    code, page = act(admin, csrf, "rolf", "role", role="operator")
    assert code == 200
    assert "The role was changed." in page
    assert ("admin", "user role changed", "rolf", "viewer → operator") in audited(admin)

    rolf = TestClient(app)
    login(rolf, "rolf")
    token = bearer(app, "rolf", ["read"])
    assert rolf.get("/runs", headers=HTML).status_code == 200
    code, page = act(admin, csrf, "rolf", "disable")
    assert (code, "The user was disabled" in page) == (200, True)
    assert ("admin", "user disabled", "rolf", "1 session(s) ended, 1 token(s) revoked") in \
        audited(admin)
    # At once: the open session and the token are refused, and so is a new log-in.
    refused = rolf.get("/runs", headers=HTML, follow_redirects=False)
    assert refused.status_code == 303
    assert refused.headers["location"].startswith("/login")
    assert TestClient(app).get("/api/me", headers=token).status_code == 401
    assert "Disabled" in admin.get("/users/rolf", headers=HTML).text
    code, page = act(admin, csrf, "rolf", "enable")
    assert (code, "they may log in again" in page) == (200, True)
    assert ("admin", "user enabled", "rolf", None) in audited(admin)
    login(rolf, "rolf")


def test_the_last_administrator_and_one_s_own_account_are_kept(app: FastAPI) -> None:
    admin = TestClient(app)
    csrf = login(admin, "admin")
    code, page = act(admin, csrf, "admin", "role", role="viewer")
    assert code == 409
    assert "admin is the last enabled administrator and keeps that role" in page
    for action in ("disable", "delete"):
        code, page = act(admin, csrf, "admin", action, confirm="yes")
        assert code == 409
        assert f"You cannot {action} your own account" in page
    code, page = act(admin, csrf, "admin", "password", password="admins-new-password")
    assert (code, "Change your own password on your profile page" in page) == (409, True)
    assert "This is you" in admin.get("/users/admin", headers=HTML).text
    assert admin.get("/api/me").json()["role"] == "administrator"


def test_a_password_reset_typed_or_made_up_and_shown_once(app: FastAPI) -> None:
    admin = TestClient(app)
    csrf = login(admin, "admin")
    add(admin, csrf, "pat", "viewer")
    code, page = act(admin, csrf, "pat", "password")
    assert code == 200
    shown = re.search(r'id="new-password-value"[^>]* value="([^"]+)"', page)
    assert shown is not None
    assert shown.group(1) not in admin.get("/users/pat", headers=HTML).text
    assert ("admin", "password reset", "pat", None) in audited(admin)
    pat = TestClient(app)
    page = pat.get("/login", headers=HTML).text
    login_csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert login_csrf is not None
    answer = pat.post("/login", follow_redirects=False, data={
        "name": "pat", "password": shown.group(1), "csrf": login_csrf.group(1), "next": "/"})
    assert answer.headers["location"] == "/"
    code, page = act(admin, csrf, "pat", "password", password="short")
    assert (code, "A password has at least 8 characters." in page) == (422, True)
    code, _ = act(admin, csrf, "pat", "password", password=PASSWORD)
    assert code == 200
    assert pat.get("/runs", headers=HTML, follow_redirects=False).status_code == 303


def test_delete_needs_its_box_ticked(app: FastAPI) -> None:
    admin = TestClient(app)
    csrf = login(admin, "admin")
    add(admin, csrf, "dora", "hr")
    code, page = act(admin, csrf, "dora", "delete")
    assert (code, "Tick the box" in page) == (422, True)
    answer = admin.post("/users/dora/delete", headers=HTML, follow_redirects=False,
                        data={"csrf": csrf, "confirm": "yes"})
    assert (answer.status_code, answer.headers["location"]) == (303, "/users")
    assert ("admin", "user deleted", "dora", "was hr") in audited(admin)
    assert admin.get("/users/dora", headers=HTML).status_code == 404
    assert 'href="/users/dora"' not in admin.get("/users", headers=HTML).text


def test_every_user_form_needs_the_csrf_token_and_an_administrator(app: FastAPI) -> None:
    admin = TestClient(app)
    csrf = login(admin, "admin")
    add(admin, csrf, "carl", "viewer")
    for action, data in (("role", {"role": "operator"}), ("disable", {}),
                         ("delete", {"confirm": "yes"}), ("password", {})):
        assert admin.post(f"/users/carl/{action}", headers=HTML,
                          data=data).status_code == 403, action
        assert act(admin, "wrong", "carl", action, **data)[0] == 403, action
    assert admin.post("/users", headers=HTML, data={
        "name": "x", "password": PASSWORD, "role": "viewer"}).status_code == 403
    operator = TestClient(app)
    op_csrf = login(operator, "op")
    assert operator.get("/users/carl", headers=HTML).status_code == 403
    assert act(operator, op_csrf, "carl", "disable")[0] == 403
    scripts = TestClient(app)  # a token, even with the admin scope, cannot use the forms
    assert scripts.post("/users/carl/disable", headers={
        **HTML, **bearer(app, "admin", ["read", "admin"])}).status_code == 403
    assert "Active" in admin.get("/users/carl", headers=HTML).text
