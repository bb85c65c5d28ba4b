"""The profile page (issue 12 items 7 and 8): a user's own password (the current one required),
language, time zone and e-mail — French pages, moments in their zone — each change audited."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from headcount.repository import users
from headcount.repository.database import begin_write
from webproject import PASSWORD, login, sample_app

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    with sample_app(tmp_path_factory.mktemp("profile"), synchronized=False) as application:
        with begin_write(application.state.headcount.engine) as conn:
            for name in ("pia", "paul", "zoe", "eve"):
                users.add_user(conn, name, PASSWORD, "viewer")
        yield application


def audited(app: FastAPI, actor: str) -> list[tuple[str, str, str | None]]:
    admin = TestClient(app)
    login(admin, "admin")
    return [(a["action"], a["target"], a["reason"]) for a in admin.get("/api/audit").json()
            if a["actor"] == actor]


def save(client: TestClient, csrf: str, **data: str) -> tuple[int, str]:
    answer = client.post("/profile", headers=HTML, data={"csrf": csrf, **data})
    return answer.status_code, answer.text


def last_login(page: str) -> str:
    found = re.search(r'<dd id="last-login">([^<]+)</dd>', page)
    assert found is not None
    return found.group(1)


def test_the_top_bar_links_to_the_profile(app: FastAPI) -> None:
    client = TestClient(app)
    login(client, "view")
    assert '<a href="/profile">Profile</a>' in client.get("/", headers=HTML).text
    page = client.get("/profile", headers=HTML).text
    assert "<dd>view</dd>" in page
    assert last_login(page).endswith(" UTC")


def test_french_from_the_preference_then_from_the_browser(app: FastAPI) -> None:
    client = TestClient(app)
    csrf = login(client, "pia")
    assert "Log out" in client.get("/profile", headers=HTML).text
    code, page = save(client, csrf, language="fr", time_zone="UTC")
    assert code == 200
    assert "Se déconnecter" in page
    assert '<html lang="fr">' in page
    assert "Se déconnecter" in client.get("/runs", headers=HTML).text
    # Back to the browser's language: English unless it asks for French.
    code, page = save(client, csrf, language="", time_zone="UTC")
    assert "Log out" in page
    assert "Se déconnecter" in client.get("/runs", headers={
        **HTML, "Accept-Language": "fr-FR,fr;q=0.9"}).text
    assert ("preferences changed", "pia", "language: fr, time_zone: UTC") in audited(app, "pia")


def test_the_time_zone_changes_how_moments_read(app: FastAPI) -> None:
    client = TestClient(app)
    csrf = login(client, "paul")
    in_utc = last_login(client.get("/profile", headers=HTML).text)
    code, page = save(client, csrf, language="en", time_zone="Asia/Tokyo")
    assert code == 200
    in_tokyo = last_login(page)
    assert in_utc.endswith(" UTC")
    assert in_tokyo.endswith(" JST")
    assert in_tokyo != in_utc.replace("UTC", "JST")  # the hour moved too, by nine
    assert "<option selected>Asia/Tokyo</option>" in page


def test_refused_preferences_change_nothing(app: FastAPI) -> None:
    client = TestClient(app)
    csrf = login(client, "zoe")
    for data, message in (({"language": "de"}, "Choose a language of the list."),
                          ({"time_zone": "Mars/Olympus"}, "Choose a time zone of the list."),
                          ({"email": "zoe"}, "zoe is not an e-mail address.")):
        code, page = save(client, csrf, **data)
        assert (code, message in page) == (422, True), data
    code, page = save(client, csrf, email="zoe@example.org", time_zone="UTC")
    assert code == 200
    assert 'value="zoe@example.org"' in page
    assert client.post("/profile", headers=HTML, data={"language": "fr"}).status_code == 403


def test_one_s_own_password_needs_the_current_one(app: FastAPI) -> None:
    here, elsewhere = TestClient(app), TestClient(app)
    csrf = login(here, "eve")
    login(elsewhere, "eve")

    def change(current: str, password: str, repeat: str) -> tuple[int, str]:
        answer = here.post("/profile/password", headers=HTML, data={
            "csrf": csrf, "current": current, "password": password, "repeat": repeat})
        return answer.status_code, answer.text

    code, page = change("not-my-password", "eves-new-password", "eves-new-password")
    assert (code, "The current password is wrong" in page) == (403, True)
    assert ("login failed", "eve", "current password on the profile page") in audited(app,
                                                                                      "eve")
    code, page = change(PASSWORD, "eves-new-password", "eves-other-password")
    assert (code, "differ" in page) == (422, True)
    code, page = change(PASSWORD, "short", "short")
    assert (code, "at least 8 characters" in page) == (422, True)
    code, page = change(PASSWORD, "eves-new-password", "eves-new-password")
    assert code == 200
    assert "Your password was changed" in page
    # This session goes on; the one in the other browser ended.
    assert here.get("/runs", headers=HTML, follow_redirects=False).status_code == 200
    assert elsewhere.get("/runs", headers=HTML, follow_redirects=False).status_code == 303
    assert ("password changed", "eve", "1 other session(s) ended") in audited(app, "eve")
    with app.state.headcount.engine.connect() as conn:
        assert users.authenticate(conn, "eve", "eves-new-password") is not None
