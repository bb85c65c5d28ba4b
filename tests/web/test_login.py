"""Logging in (SPEC §13): a log-in ends the client's earlier session — a new session id, and the
old cookie (one seen or planted before the log-in) no longer authenticates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from headcount.web.auth import SESSION_COOKIE
from webproject import login, sample_app


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> Iterator[FastAPI]:
    with sample_app(tmp_path, db_url, synchronized=False) as application:
        yield application


def holding(app: FastAPI, session: str) -> TestClient:
    """A client that only has this session cookie, as the server would have set it (the test
    client files cookies of `testserver` under `testserver.local`)."""
    client = TestClient(app)
    client.cookies.set(SESSION_COOKIE, session, domain="testserver.local", path="/")
    return client


def test_logging_in_again_ends_the_earlier_session(app: FastAPI) -> None:
    client = TestClient(app)
    login(client, "view")
    earlier = client.cookies[SESSION_COOKIE]
    assert holding(app, earlier).get("/api/me").json()["name"] == "view"

    login(client, "admin")
    later = client.cookies[SESSION_COOKIE]
    assert later != earlier
    assert holding(app, earlier).get("/api/me").status_code == 401
    assert holding(app, later).get("/api/me").json()["name"] == "admin"


def test_a_planted_session_id_is_worth_nothing_after_the_victims_log_in(app: FastAPI) -> None:
    attacker = TestClient(app)
    login(attacker, "view")
    planted = attacker.cookies[SESSION_COOKIE]
    victim = holding(app, planted)
    login(victim, "admin")
    assert victim.cookies[SESSION_COOKIE] != planted
    assert victim.get("/api/me").json()["name"] == "admin"
    assert attacker.get("/api/me").status_code == 401
    assert holding(app, planted).get("/", headers={"Accept": "text/html"},
                                     follow_redirects=False).status_code == 303


def test_other_clients_keep_their_sessions(app: FastAPI) -> None:
    laptop, phone = TestClient(app), TestClient(app)
    login(laptop, "admin")
    login(phone, "admin")
    # Only the client that logs in loses its earlier session, not the user's other devices.
    assert laptop.get("/api/me").status_code == 200
    assert phone.get("/api/me").status_code == 200
    login(laptop, "admin")
    assert phone.get("/api/me").status_code == 200


def test_a_stale_or_unknown_cookie_does_not_prevent_a_log_in(app: FastAPI) -> None:
    client = holding(app, "not-a-session")
    login(client, "view")
    assert client.get("/api/me").json()["name"] == "view"
