"""/api/docs: Swagger UI served from the package (no CDN, no inline script), for a log-in only;
from a session, its "Try it out" sends the session's CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from webproject import bearer, login, sample_app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    with sample_app(tmp_path_factory.mktemp("apidocs"), synchronized=False) as application:
        yield application


def test_the_docs_page_loads_only_our_own_files(app: FastAPI) -> None:
    client = TestClient(app)
    page = client.get("/api/docs", headers=bearer(app, "view", ["read"]))
    assert page.status_code == 200
    assert "<script>" not in page.text  # only <script src=…>: the policy refuses inline ones
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert set(assets) == {"/static/swagger-ui/swagger-ui.css",
                           "/static/swagger-ui/swagger-ui-bundle.js", "/static/api-docs.js"}
    for asset in assets:
        answer = client.get(asset)
        assert answer.status_code == 200, asset
        kind = "text/css" if asset.endswith(".css") else "javascript"
        assert kind in answer.headers["content-type"], asset
    assert 'data-openapi-url="/api/openapi.json"' in page.text
    assert 'data-csrf=""' in page.text  # a token has no session, hence no CSRF token


def test_from_a_session_the_docs_page_carries_its_csrf_token(app: FastAPI) -> None:
    client = TestClient(app)
    csrf = login(client, "view")
    assert f'data-csrf="{csrf}"' in client.get("/api/docs").text


def test_swagger_ui_ships_with_its_licence(app: FastAPI) -> None:
    client = TestClient(app)
    assert "Apache License" in client.get("/static/swagger-ui/LICENSE").text
    assert "SmartBear" in client.get("/static/swagger-ui/NOTICE").text
