"""The top bar's search, its page and GET /api/search over the sample project."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from webproject import bearer, login, sample_app

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    with sample_app(tmp_path_factory.mktemp("search")) as application:
        yield application


def test_every_page_has_the_search_box(app: FastAPI) -> None:
    with TestClient(app) as client:
        login(client, "view")
        page = client.get("/", headers=HTML).text
    assert '<form role="search" action="/search"' in page
    assert 'for="top-search"' in page
    assert 'aria-keyshortcuts="/"' in page
    assert '<script src="/static/search.js" defer></script>' in page


def test_the_search_page_groups_names_by_type_with_links(app: FastAPI) -> None:
    with TestClient(app) as client:
        login(client, "view")
        # In the 200-person sample: José Vidal (E00052), an accent in his first name.
        page = client.get("/search", params={"q": "jose VIDAL"}, headers=HTML).text
        assert "Person <span" in page  # the type's display name, then its total
        assert '<a href="/entity-types/HR_Person/E00052">Vidal José</a> ' \
               '<span class="key">E00052</span>' in page
        assert "Identity record" in page
        # The search box keeps the query.
        assert 'value="jose VIDAL"' in page
        assert "Nothing found for “zzz-nobody”" in client.get(
            "/search", params={"q": "zzz-nobody"}, headers=HTML).text
        # An identity links to its identity page.
        identity = client.get("/search", params={"q": "E00052", "type": "Directory_User"},
                              headers=HTML).text
        assert '<a href="/identities/E00052">' in identity


def test_more_results_of_one_type(app: FastAPI) -> None:
    with TestClient(app) as client:
        login(client, "view")
        every = client.get("/search", params={"q": "e00"}, headers=HTML).text
        assert "All 200: Person" in every
        one = client.get("/search", params={"q": "e00", "type": "HR_Person"},
                         headers=HTML).text
        assert one.count('<a href="/entity-types/HR_Person/') == 200


def test_the_api_answers_the_same(app: FastAPI) -> None:
    with TestClient(app) as client:
        answer = client.get("/api/search", params={"q": "José Vidal", "limit": 1},
                            headers=bearer(app, "view", ["read"]))
    assert answer.status_code == 200
    groups = {g["entity_type"]: g for g in answer.json()["groups"]}
    assert groups["HR_Person"]["label"] == "Person"
    assert groups["HR_Person"]["total"] == 1
    assert groups["HR_Person"]["items"] == [{
        "entity_type": "HR_Person", "key": "E00052", "display_name": "Vidal José",
        "url": "/entity-types/HR_Person/E00052"}]


def test_the_search_needs_a_log_in(app: FastAPI) -> None:
    with TestClient(app) as client:
        assert client.get("/api/search", params={"q": "x"}).status_code == 401

