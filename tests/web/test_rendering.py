"""The pages show an empty value as `—` (one shared filter), never `None`: a resource's values
and history, a job result's change list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import resources
from headcount.samples import hrfiles
from webproject import login, make_app, make_project

HTML = {"Accept": "text/html"}


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> FastAPI:
    """The sample after its day one and its next day (updates that fill empty values)."""
    folder = make_project(tmp_path / "hr", db_url)
    hrfiles.main(["--out", str(folder / "data"), "--people", "300", "--next-day"])
    ctx = ProjectContext.open(folder, db_url)
    try:
        assert synchronize(ctx, SyncRequest("HR")).state == "succeeded"
    finally:
        ctx.close()
    return make_app(folder, db_url)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_empty_values_and_history_read_as_empty(app: FastAPI) -> None:
    with app.state.headcount.engine.connect() as conn:
        empty = next(key for key, values in resources.list_resources(conn, "HR_Person", 1000)
                     if values.get("BirthName") is None)
    client = TestClient(app)
    login(client, "view")
    pages = {tab: client.get(f"/entity-types/HR_Person/{empty}", params={"tab": tab},
                             headers=HTML) for tab in ("properties", "history")}
    assert {tab: page.status_code for tab, page in pages.items()} == {
        "properties": 200, "history": 200}
    properties, history = (_text(page.text) for page in pages.values())
    assert "None" not in properties + history
    assert "Birth name — " in properties
    assert "Birth name: — " in history  # the values of its insert, by their labels


def test_the_change_list_reads_an_empty_before_as_empty(app: FastAPI) -> None:
    client = TestClient(app)
    login(client, "view")
    page = client.get("/runs/2", params={"kind": "update"}, headers=HTML)
    assert page.status_code == 200
    text = _text(page.text)
    assert "None" not in text
    assert re.search(r"Contract end date: — → \d{4}-\d\d-\d\d", text), text[:3000]
