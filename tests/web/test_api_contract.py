"""The API keeps what its OpenAPI promises: every timestamp is RFC 3339 with its offset, every
error status a route can answer is declared with the one error body, and the body sent matches
it — string refusals and invalid parameters alike."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from headcount.web import api
from headcount.web.api.errors import GUARDED
from webproject import bearer, make_app, make_project

RECORD = "Directory_UserRecord"
ERROR = "#/components/schemas/ErrorOut"
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    folder = tmp_path_factory.mktemp("contract") / "hr"
    url = f"sqlite:///{folder.parent}/headcount.db"
    make_project(folder, url, people=200)
    return make_app(folder, url)


@pytest.fixture(scope="module")
def admin(app: FastAPI) -> dict[str, str]:
    return bearer(app, "admin", ["read", "run", "admin", "edit", "decide"])


def api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute, dict[str, Any]]]:
    """Each operation of the routers of headcount.web.api, with its OpenAPI description."""
    paths = app.openapi()["paths"]
    for module in pkgutil.iter_modules(api.__path__):
        router = getattr(importlib.import_module(f"{api.__name__}.{module.name}"), "router", None)
        for route in router.routes if router else []:
            assert isinstance(route, APIRoute)
            for method in route.methods or ():
                path = "/api" + route.path.replace(":path}", "}")
                yield method, route, paths[path][method.lower()]


def test_every_error_status_a_route_can_answer_is_declared_with_the_error_body(
        app: FastAPI) -> None:
    routes = list(api_routes(app))
    assert len(routes) >= 30
    for method, route, operation in routes:
        name = f"{method} {route.path}"
        declared = {int(code) for code in operation["responses"] if int(code) >= 400}
        expected = set(GUARDED)
        if route.dependant.path_params:
            expected.add(404)  # whatever the path names may not exist
        if route.dependant.path_params or route.dependant.query_params or route.body_field:
            expected.add(422)
        assert expected <= declared, f"{name} does not declare {sorted(expected - declared)}"
        for code in declared:
            schema = operation["responses"][str(code)]["content"]["application/json"]["schema"]
            assert schema == {"$ref": ERROR}, f"{name} answers {code} with {schema}"
    # Health needs no log-in, but any request may carry a NUL, refused before routing.
    health = app.openapi()["paths"]["/api/health"]["get"]["responses"]
    assert health["400"]["content"]["application/json"]["schema"] == {"$ref": ERROR}
    assert "HTTPValidationError" not in app.openapi()["components"]["schemas"]


def error_body(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body: dict[str, Any] = answer.json()
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


def test_every_error_answers_the_error_body(app: FastAPI, admin: dict[str, str]) -> None:
    client = TestClient(app)
    assert "no run 999" in error_body(client.get("/api/runs/999", headers=admin), 404)["detail"]
    assert error_body(client.get("/api/runs"), 401)["errors"] == []
    viewer = bearer(app, "view", ["read"])
    error_body(client.get("/api/users", headers=viewer), 403)
    error_body(client.get("/api/runs/%00", headers=admin), 400)
    exists = client.post("/api/users", headers=admin,
                         json={"name": "admin", "password": "long enough", "role": "viewer"})
    assert "exists" in error_body(exists, 409)["detail"]
    not_blocked = client.post("/api/runs/1/resume", headers=admin, json={"reason": "r"})
    assert "not blocked" in error_body(not_blocked, 409)["detail"]
    invalid = error_body(client.get("/api/audit?limit=0&offset=-1", headers=admin), 422)
    assert [e["loc"] for e in invalid["errors"]] == [["query", "limit"], ["query", "offset"]]
    assert invalid["detail"].startswith("query.limit: ")
    # A refusal the route words itself (a string) has the same body, with no field errors.
    hr_file = client.patch(f"/api/resources/{_resource_id(client, admin, 'HR_Person')}",
                           headers=admin, json={"values": {"LastName": "X"}, "reason": "r"})
    assert error_body(hr_file, 422)["errors"] == []
    # A mapping key the client sent is named in the location, its NUL shown as `\0` (an error
    # body never holds a NUL: found by the fuzz test on POST /api/workflows).
    nul_key = error_body(client.post("/api/workflows", headers=admin, json={
        "workflow": "W", "values": {"Title\x00": 7}}), 422)
    assert any("Title\\0" in e["loc"] for e in nul_key["errors"]), nul_key
    assert "\x00" not in nul_key["detail"]
    assert all("\x00" not in str(p) for e in nul_key["errors"] for p in e["loc"])


@pytest.mark.parametrize("on", ["9.2e-176", "0", "1700000000", "20261129", "2026-11-29T00:00",
                                "2026-13-01", "tomorrow", " 2026-11-29"])
def test_a_date_parameter_is_an_iso_date_or_a_422(app: FastAPI, admin: dict[str, str],
                                                  on: str) -> None:
    answer = TestClient(app).get("/api/identities/E00005", params={"on": on}, headers=admin)
    assert error_body(answer, 422)["errors"][0]["loc"] == ["query", "on"]


def test_a_date_parameter_written_yyyy_mm_dd_is_taken(app: FastAPI,
                                                      admin: dict[str, str]) -> None:
    answer = TestClient(app).get("/api/identities/E00005?on=2026-11-29", headers=admin)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("expires_at", [1_900_000_000, "2999-01-01T00:00:00", "2999-01-01",
                                        "9999-12-31T23:00:00-05:00"])
def test_an_instant_in_a_body_has_its_offset_or_is_a_422(app: FastAPI, admin: dict[str, str],
                                                         expires_at: object) -> None:
    client = TestClient(app)
    answer = client.patch(f"/api/resources/{_resource_id(client, admin, RECORD)}",
                          headers=admin, json={"values": {"Title": "Interim"}, "reason": "r",
                                               "expires_at": expires_at})
    error_body(answer, 422)


def _resource_id(client: TestClient, headers: dict[str, str], entity_type: str) -> int:
    found = client.get(f"/api/entity-types/{entity_type}/provenance/E00002", headers=headers)
    assert found.status_code == 200, found.text
    return int(found.json()["id"])


def timestamps(value: Any) -> Iterator[str]:
    """Every string of an answer that looks like a date and a time."""
    if isinstance(value, dict):
        for item in value.values():
            yield from timestamps(item)
    elif isinstance(value, list):
        for item in value:
            yield from timestamps(item)
    elif isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}[T ]\d", value):
        yield value


def test_every_timestamp_is_rfc3339_in_utc(tmp_path: Any, db_url: str) -> None:
    app = make_app(make_project(tmp_path / "hr", db_url, people=200), db_url)
    client = TestClient(app)
    admin = bearer(app, "admin", ["read", "run", "admin", "edit", "decide"])
    record = _resource_id(client, admin, RECORD)
    edited = client.patch(f"/api/resources/{record}", headers=admin, json={
        "values": {"Title": "Interim"}, "reason": "cover",
        "expires_at": "2999-01-01T09:30:00+02:00"})
    assert edited.status_code == 200, edited.text
    seen: list[str] = []
    for path in ("/api/runs", "/api/runs/1", "/api/runs/1/log", "/api/audit", "/api/tokens",
                 "/api/reconciliation?state=all", "/api/correlation-cases?state=open",
                 f"/api/resources/{record}/provenance", "/api/identities/E00002",
                 f"/api/entity-types/{RECORD}/resources/E00002"):
        answer = client.get(path, headers=admin)
        assert answer.status_code == 200, (path, answer.text)
        for stamp in timestamps(answer.json()):
            assert RFC3339.fullmatch(stamp), (path, stamp)
            # Stored in UTC, answered in UTC.
            assert datetime.fromisoformat(stamp).utcoffset() == timedelta(0), (path, stamp)
            seen.append(stamp)
    assert len(seen) >= 10
    expiry = client.get("/api/reconciliation?state=all", headers=admin).json()["items"][0]
    assert expiry["expires_at"] == "2999-01-01T07:30:00Z"
