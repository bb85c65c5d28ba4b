"""Manual edits, the Resource Reconciliation and provenance under odd input and limited rights
(SPEC §6.4, §12, §13): edit and decide tokens, expiries and ids at the ends of their ranges,
values with NUL, too long or sent as files, and who may read who changed a value and why. Each
was a finding of a security review, proven here before it was fixed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from headcount.config.model import Property, PropertyType
from headcount.reviews.values import InvalidValue, canonical
from webproject import bearer, login, sample_app

RECORD = "Directory_UserRecord"
HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    # One project for the module, on SQLite: each test works on its own record.
    with sample_app(tmp_path_factory.mktemp("review")) as application:
        yield application


def _client(app: FastAPI) -> TestClient:
    # A bug answers 500 instead of raising into the test.
    return TestClient(app, raise_server_exceptions=False)


def _id(app: FastAPI, entity_type: str, key: str) -> int:
    with app.state.headcount.engine.connect() as conn:
        return int(conn.execute(sa.text(
            "SELECT id FROM resources WHERE entity_type = :e AND key = :k"),
            {"e": entity_type, "k": key}).scalar_one())


def _value(app: FastAPI, key: str, prop: str) -> object:
    with app.state.headcount.engine.connect() as conn:
        data = conn.execute(sa.text(
            "SELECT data FROM resources WHERE entity_type = :e AND key = :k"),
            {"e": RECORD, "k": key}).scalar_one()
    return json.loads(data).get(prop)


# ── rights ──────────────────────────────────────────────────────────────────────────────────


def test_hr_may_create_a_token_with_the_edit_and_decide_scopes(app: FastAPI) -> None:
    client = _client(app)
    csrf = login(client, "hr")
    answer = client.post("/api/tokens", headers={"X-CSRF-Token": csrf},
                         json={"name": "reconciliation script",
                               "scopes": ["read", "edit", "decide"]})
    assert answer.status_code == 201, answer.text
    token = {"Authorization": f"Bearer {answer.json()['token']}"}
    assert client.get("/api/reconciliation", headers=token).status_code == 200
    # ... and never beyond the user: a viewer still cannot ask for `decide`.
    viewer = _client(app)
    csrf = login(viewer, "view")
    assert viewer.post("/api/tokens", headers={"X-CSRF-Token": csrf},
                       json={"name": "x", "scopes": ["decide"]}).status_code == 403


# ── 500s on odd input ───────────────────────────────────────────────────────────────────────


def test_an_override_ending_on_the_last_day_of_the_calendar_is_refused_not_a_500(
        app: FastAPI) -> None:
    client = _client(app)
    csrf = login(client, "hr")
    record = _id(app, RECORD, "E00011")
    answer = client.post(f"/resources/{record}/edit", headers=HTML, follow_redirects=False,
                         data={"csrf": csrf, "v.Title": "Acting manager", "reason": "cover",
                               "expires_on": "9999-12-31"})
    assert answer.status_code in (303, 422), answer.status_code


def test_an_api_expiry_at_the_end_of_time_is_refused_not_a_500(app: FastAPI) -> None:
    client = _client(app)
    hr = bearer(app, "hr", ["read", "edit"])
    record = _id(app, RECORD, "E00012")
    answer = client.patch(f"/api/resources/{record}", headers=hr, json={
        "values": {"Title": "Acting manager"}, "reason": "cover",
        "expires_at": "9999-12-31T23:00:00-05:00"})
    assert answer.status_code in (200, 422), answer.status_code


def test_a_decision_form_with_an_id_beyond_64_bits_is_refused_not_a_500(app: FastAPI) -> None:
    client = _client(app)
    csrf = login(client, "hr")
    answer = client.post("/reconciliation/decisions", follow_redirects=False,
                         data={"csrf": csrf, "ids": str(10**20), "decision": "decline"})
    assert answer.status_code in (404, 422), answer.status_code


def test_out_of_range_numbers_and_times_are_invalid_values() -> None:
    count = Property(identifier="Count", type=PropertyType.INT)
    moment = Property(identifier="At", type=PropertyType.DATETIME)
    with pytest.raises(InvalidValue):
        canonical(count, "9" * 5000)
    with pytest.raises(InvalidValue):
        canonical(moment, "0001-01-01T00:00:00+01:00")


# ── values a person cannot mean ─────────────────────────────────────────────────────────────


def test_a_manual_value_with_a_nul_is_refused(app: FastAPI) -> None:
    client = _client(app)
    hr = bearer(app, "hr", ["read", "edit"])
    record = _id(app, RECORD, "E00013")
    answer = client.patch(f"/api/resources/{record}", headers=hr, json={
        "values": {"PhoneNumber": "+33\u00001"}, "reason": "typo"})
    assert answer.status_code == 422, answer.text
    assert "\x00" not in str(_value(app, "E00013", "PhoneNumber"))


def test_a_manual_value_has_a_size_limit(app: FastAPI) -> None:
    client = _client(app)
    hr = bearer(app, "hr", ["read", "edit"])
    record = _id(app, RECORD, "E00014")
    answer = client.patch(f"/api/resources/{record}", headers=hr, json={
        "values": {"PhoneNumber": "1" * 2_000_000}, "reason": "load"})
    assert answer.status_code == 422, answer.status_code


# The upload's spooled file is left to the garbage collector by the form code: not this finding.
def test_a_file_sent_as_a_value_is_refused(app: FastAPI) -> None:
    client = _client(app)
    csrf = login(client, "hr")
    record = _id(app, RECORD, "E00015")
    answer = client.post(f"/resources/{record}/edit", headers=HTML, follow_redirects=False,
                         data={"csrf": csrf, "reason": "r"},
                         files={"v.Title": ("title.txt", b"Chief", "text/plain")})
    assert answer.status_code == 422, answer.status_code
    assert "UploadFile" not in str(_value(app, "E00015", "Title"))


# ── information ─────────────────────────────────────────────────────────────────────────────


def test_a_viewer_does_not_read_who_edited_a_value_and_why(app: FastAPI) -> None:
    client = _client(app)
    hr = bearer(app, "hr", ["read", "edit"])
    record = _id(app, RECORD, "E00016")
    secret = "medical leave, do not disclose"
    assert client.patch(f"/api/resources/{record}", headers=hr, json={
        "values": {"PhoneNumber": "+33 1 00 00 00 16", "Title": "Away"},
        "reason": secret}).status_code == 200
    viewer = bearer(app, "view", ["read"])
    provenance = client.get(f"/api/resources/{record}/provenance", headers=viewer)
    assert provenance.status_code == 200
    assert secret not in provenance.text
    pages = _client(app)
    login(pages, "view")
    assert secret not in pages.get(f"/resources/{record}/manual-values", headers=HTML).text
    assert not re.search(re.escape(secret), pages.get(f"/resources/{record}/provenance",
                                                      headers=HTML).text)
