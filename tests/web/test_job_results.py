"""A run's job result over the API and on its page: every pending reference, paged and as CSV,
with why; link changes in the change list (SPEC §4.3, §4.6), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from headcount.repository import users
from hrproject import hr_project
from pendingfiles import ABSENT, PENDING, RESOLVED, WRITTEN, write_files_with_pending
from webproject import PASSWORD, login, make_app


@pytest.fixture
def client(tmp_path: Path, db_url: str) -> Iterator[TestClient]:
    with hr_project(tmp_path, db_url) as hr:
        with hr.ctx.engine.begin() as conn:
            users.add_user(conn, "view", PASSWORD, "viewer")
        write_files_with_pending(hr)
        run = hr.sync()
        assert run.id == 1
    app = make_app(tmp_path, db_url)
    with TestClient(app) as opened:
        login(opened, "view")
        yield opened
    app.state.headcount.engine.dispose()


def test_the_api_pages_every_pending_reference(client: TestClient) -> None:
    run = client.get("/api/runs/1").json()
    assert run["counters"]["unresolved"] == PENDING
    assert (run["counters"]["links_inserted"], run["counters"]["links_pending"]) == \
        (RESOLVED, PENDING)
    seen = []
    for offset in range(0, PENDING, 100):
        page = client.get(f"/api/runs/1/unresolved?limit=100&offset={offset}").json()
        assert page["total"] == PENDING
        seen += page["items"]
    assert len(seen) == PENDING
    assert len({(r["key"], r["navigation"]) for r in seen}) == PENDING
    by_cause: dict[str, int] = {}
    for ref in seen:
        by_cause[ref["cause"]] = by_cause.get(ref["cause"], 0) + 1
    assert by_cause == {"absent": ABSENT, "invalid": 1, "duplicate": 1}
    invalid = next(r for r in seen if r["cause"] == "invalid")
    assert (invalid["key"], invalid["target_key"], invalid["connection"], invalid["line"]) == \
        ("E9001", "E9000", "People", 232)
    assert all(r["new"] for r in seen)
    assert client.get("/api/runs/99/unresolved").status_code == 404


def test_the_csv_holds_every_pending_reference(client: TestClient) -> None:
    for url in ("/api/runs/1/unresolved.csv", "/runs/1/unresolved.csv"):
        answer = client.get(url)
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(answer.text)))
        assert rows[0] == ["entity_type", "key", "navigation", "target_type", "target_key",
                           "cause", "connection", "line", "new"]
        assert len(rows) == PENDING + 1
        assert ["HR_Person", "E9001", "HR_Person.Organization", "HR_Org", "O3", "duplicate",
                "Orgs", "3", "yes"] in rows


def test_the_change_list_carries_link_changes(client: TestClient) -> None:
    inserted = client.get("/api/runs/1/changes?kind=insert&limit=1").json()[0]
    assert (inserted["key"], [(n["navigation"], n["target_key"]) for n in inserted["links"]]) \
        == ("E1", [("HR_Person.Manager", "X1"), ("HR_Person.Organization", "O1")])
    whole = client.get("/api/runs/1/changes?kind=link_insert&limit=1000").json()
    assert len(whole) == WRITTEN
    assert all(c["kind"] == "link_insert" and c["target_key"] for c in whole)
    paged = [c for offset in range(0, WRITTEN, 100) for c in client.get(
        f"/api/runs/1/changes?kind=link_insert&limit=100&offset={offset}").json()]
    assert paged == whole


def test_the_job_result_page_lists_them_paged(client: TestClient) -> None:
    page = client.get("/runs/1", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert f"Unresolved references ({PENDING})" in page.text
    assert f"Page 1 of {-(-PENDING // 50)}" in page.text
    assert 'href="/runs/1/unresolved.csv"' in page.text
    assert "absent from the file" in page.text
    last = client.get(f"/runs/1?unresolved={-(-PENDING // 50)}", headers={"Accept": "text/html"})
    assert "set aside (invalid): People line 232" in last.text
    assert "set aside (duplicate): Orgs line 3" in last.text
    assert "Links pending" in page.text
    # The links of an inserted person are shown with it.
    assert "Manager: X1" in page.text
