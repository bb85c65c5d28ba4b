"""The security headers (SPEC §13): every route of the app, listed from the app itself, answers
with the Content-Security-Policy, nosniff, the referrer policy and no caching, whoever asks and
whatever the answer; only our static files may be cached."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from webproject import bearer, login, make_app, make_project, sample_app

HTML = {"Accept": "text/html"}
EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    with sample_app(tmp_path_factory.mktemp("headers")) as application:
        yield application


def routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app answers, pages and API alike."""
    found = [(method, str(route.path)) for route in iter_route_contexts(app.routes)
             for method in sorted(route.methods or [])]
    return [(m, p) for m, p in found if m != "HEAD"]


def path_values(app: FastAPI) -> dict[str, str]:
    with app.state.headcount.engine.connect() as conn:
        resource_id = conn.execute(sa.text(
            "SELECT id FROM resources WHERE entity_type = 'Directory_UserRecord' "
            "ORDER BY id LIMIT 1")).scalar_one()
        user = conn.execute(sa.text(
            "SELECT key FROM resources WHERE entity_type = 'Directory_User' "
            "ORDER BY id LIMIT 1")).scalar_one()
    return {"entity_type": "HR_Person", "key:path": "E00002", "name": "HR", "run_id": "1",
            "resource_id": str(resource_id), "case_id": "1", "state_id": "1", "token_id": "1",
            "identifier": user, "task_id": "1", "instance_id": "1", "workflow": "Nope",
            "campaign_id": "1", "format": "csv", "upload_id": "1", "connector": "HR",
            "delivery_id": "1", "n": "0", "request_id": "1", "job_run_id": "1"}


def url_of(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"no value for a parameter of {path}: add it to path_values"
    return path


def assert_secured(response: httpx2.Response, what: str) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (what, response.status_code, name)
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy, what
    assert "style-src 'self'" in policy, what
    assert "frame-ancestors 'none'" in policy, what
    assert "unsafe-inline" not in policy, what
    assert "unsafe-eval" not in policy, what


def test_every_page_and_endpoint_answers_with_the_security_headers(app: FastAPI) -> None:
    values = path_values(app)
    listed = routes(app)
    assert len(listed) > 60
    session = TestClient(app, raise_server_exceptions=False)
    login(session, "admin")
    token = bearer(app, "admin", ["read", "run", "admin", "edit", "decide"])
    anonymous = TestClient(app, raise_server_exceptions=False)
    answered = 0
    for method, path in listed:
        if path == "/static":
            continue
        url = url_of(path, values)
        what = f"{method} {path}"
        if method == "GET":
            for client, headers in ((session, HTML), (session, {}), (anonymous, token)):
                response = client.get(url, headers=headers, follow_redirects=False)
                assert response.status_code < 500, what
                answered += response.status_code == 200
                assert_secured(response, what)
        else:
            # No change is made: without the CSRF token the session is refused, so is nobody,
            # and the log-in form wants its fields.
            for client in (session, anonymous):
                response = client.request(method, url, headers=HTML, follow_redirects=False)
                assert response.status_code in (303, 401, 403, 422), what
                assert_secured(response, what)
    # The GET answers were the real pages and data, not only refusals.
    assert answered > 70


def test_health_and_login_are_secured_too_and_static_files_may_be_cached(app: FastAPI) -> None:
    client = TestClient(app)
    for url in ("/health", "/api/health", "/login"):
        assert_secured(client.get(url, headers=HTML), url)
    for asset in ("/static/app.css", "/static/htmx.min.js", "/static/api-docs.js"):
        answer = client.get(asset)
        assert answer.status_code == 200
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "no-store" not in answer.headers.get("cache-control", "")


def test_an_unavailable_repository_answers_503_with_the_headers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/headcount.db"
    application = make_app(make_project(tmp_path / "hr", url, people=200), url)
    try:
        token = bearer(application, "admin", ["read"])
        client = TestClient(application, raise_server_exceptions=False)
        with application.state.headcount.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE runs"))  # as if the database were another one
        for headers in (token, {**token, **HTML}):
            answer = client.get("/api/runs", headers=headers)
            assert answer.status_code == 503, answer.text
            assert_secured(answer, "503")
    finally:
        application.state.headcount.engine.dispose()
