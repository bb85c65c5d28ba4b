"""Manual upload from the web pages and the API, end to end (SPEC §9), on SQLite and PostgreSQL:
an HR user downloads the full template, uploads it with a bad date and sees the row beside its
message, nothing loaded; uploads a right change, previews it, loads it, finds the change on the
person's page, and rolls it back."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from webproject import login, make_app, make_project

HTML = {"Accept": "text/html"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> Iterator[FastAPI]:
    application = make_app(make_project(tmp_path / "hr", db_url, people=200), db_url)
    yield application
    application.state.headcount.engine.dispose()


def _client(app: FastAPI, name: str) -> TestClient:
    client = TestClient(app)
    client.headers["X-CSRF-Token"] = login(client, name)
    return client


def _edited(workbook: bytes, tab: str, header: str, row: int, value: str) -> bytes:
    """The workbook with the cell of the column `header` (its text before " *") on `row` set to
    `value`, as an HR operator would type it."""
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    sheet = book[tab]
    column = next(c.column_letter for c in sheet[1]
                  if str(c.value).removesuffix(" *") == header)
    sheet[f"{column}{row}"] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(workbook: bytes, tab: str, cell: str) -> str:
    return str(openpyxl.load_workbook(io.BytesIO(workbook))[tab][cell].value)


def _runs(client: TestClient) -> int:
    return len(client.get("/api/runs").json())


def test_a_file_with_errors_shows_them_beside_the_rows_and_loads_nothing(app: FastAPI) -> None:
    client = _client(app, "hr")
    full = client.get("/upload/template?kind=full&format=xlsx").content
    bad = _edited(full, "Identity record", "Contract start date", 3, "31/02/2026")
    runs = _runs(client)
    sent = client.post("/upload", files={"file": ("bad.xlsx", bad, XLSX)},
                       follow_redirects=False)
    assert sent.status_code == 303
    where = sent.headers["location"]
    page = client.get(where, headers=HTML).text
    assert re.search(r'<tr>\s*<th scope="row">3</th>\s*<td class="why">.*?is not a date.*?'
                     r'<td class="wrong">31/02/2026.*?</tr>', page, re.S)
    assert f'action="{where}/load"' not in page
    back = client.get(f"{where}/problems.xlsx")
    assert back.headers["content-type"] == XLSX
    assert "Identity record" in openpyxl.load_workbook(io.BytesIO(back.content)).sheetnames
    listed = client.get("/upload", headers=HTML).text
    assert "bad.xlsx" in listed
    # The API says the same, as data.
    answer = client.post("/api/uploads", files={"file": ("bad.xlsx", bad, XLSX)})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["state"] == "errors"
    wrong = [p for p in body["problems"] if p["severity"] == "error"]
    assert [(p["tab"], p["row"], p["value"]) for p in wrong] == [
        ("Identity record", 3, "31/02/2026")]
    assert wrong[0]["letter"]
    assert _runs(client) == runs  # nothing ran


def test_a_right_file_previews_loads_and_rolls_back(app: FastAPI) -> None:
    client = _client(app, "hr")
    full = client.get("/upload/template?kind=full&format=xlsx").content
    key = _cell(full, "Identity", "A3")
    fixed = _edited(full, "Identity", "Last name", 3, "Newname")
    sent = client.post("/upload", files={"file": ("fixed.xlsx", fixed, XLSX)},
                       follow_redirects=False)
    where = sent.headers["location"]
    page = client.get(where, headers=HTML).text
    assert "The file verifies." in page
    previewed = client.post(f"{where}/preview", headers=HTML)
    assert previewed.status_code == 200, previewed.text
    assert 'id="preview"' in previewed.text
    assert re.search(r'href="/runs/\d+"', previewed.text)
    person = f"/entity-types/Directory_User/{key}"
    assert "Newname" not in client.get(person, headers=HTML).text  # a preview applies nothing
    loaded = client.post(f"{where}/load", data={"confirmed": "yes"}, headers=HTML)
    assert loaded.status_code == 200, loaded.text
    assert "Loaded:" in loaded.text
    assert "Newname" in client.get(person, headers=HTML).text
    upload_id = where.rsplit("/", 1)[1]
    detail = client.get(f"/api/uploads/{upload_id}").json()
    assert detail["state"] == "loaded"
    assert detail["run_id"] is not None
    rolled = client.post(f"{where}/rollback", data={"reason": "the wrong file"}, headers=HTML)
    assert rolled.status_code == 200, rolled.text
    assert "Rolled back:" in rolled.text
    assert "Newname" not in client.get(person, headers=HTML).text
