"""The Upload pages and the template downloads (SPEC §9, §12): only the `upload` permission (hr,
administrator) sees the menu entry or any page, the templates come as readable workbooks and
zips from the pages and the API, a file over the size limit is refused unread, and an upload's
verification shows each row in error as it was uploaded, the cell in error marked, the message
beside it, warnings apart.

The store of uploads is replaced here by a hand-built upload and verification (the `uploads`
module's functions): the page is tested on exactly the problems it is given; the whole flow
through the real store is tests/web/test_upload_flow.py."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from headcount.config.loader import load_project_config
from headcount.repository import deployments
from headcount.upload import uploads
from headcount.upload.uploads import Upload
from headcount.upload.verified import Problem, Verification
from verifications import PROBLEMS, hand_built_upload, hand_built_verification
from webproject import bearer, login, make_app, make_project

HTML = {"Accept": "text/html"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def app(tmp_path: Path, sqlite_url: str) -> Iterator[FastAPI]:
    application = make_app(make_project(tmp_path / "hr", sqlite_url, people=200), sqlite_url)
    yield application
    application.state.headcount.engine.dispose()


def _client(app: FastAPI, name: str) -> TestClient:
    client = TestClient(app)
    client.headers["X-CSRF-Token"] = login(client, name)
    return client


@pytest.mark.parametrize("name", ["view", "op"])
def test_without_the_upload_permission_nothing_is_shown_or_done(app: FastAPI, name: str
                                                                ) -> None:
    client = _client(app, name)
    assert 'href="/upload"' not in client.get("/", headers=HTML).text
    for path in ("/upload", "/upload/scan", "/upload/template", "/upload/1",
                 "/upload/1/problems.xlsx", "/api/uploads", "/api/uploads/1",
                 "/api/upload/template"):
        assert client.get(path, headers=HTML).status_code == 403, path
    for path in ("/upload/1/preview", "/upload/1/load", "/upload/1/rollback",
                 "/api/uploads/1/preview", "/api/uploads/1/load"):
        assert client.post(path).status_code == 403, path
    sent = client.post("/upload", files={"file": ("people.csv", b"Identifier\nE1\n")})
    assert sent.status_code == 403
    assert client.post("/api/uploads", files={"file": ("p.csv", b"a\n")}).status_code == 403


def test_hr_finds_the_upload_page_in_the_menu(app: FastAPI) -> None:
    client = _client(app, "hr")
    assert '<a href="/upload">Upload</a>' in client.get("/", headers=HTML).text
    scan = client.get("/upload/scan", headers=HTML)
    assert scan.status_code == 200
    assert "Identity record" in scan.text
    assert "hide from forms" in scan.text  # the sample never fills a record's phone number


def test_a_token_needs_the_upload_scope(app: FastAPI) -> None:
    client = TestClient(app)
    refused = client.get("/api/upload/template", headers=bearer(app, "hr", ["read"]))
    assert refused.status_code == 403
    allowed = client.get("/api/upload/template", headers=bearer(app, "hr", ["upload"]))
    assert allowed.status_code == 200
    assert allowed.headers["content-type"] == XLSX


def test_the_templates_download_from_the_page_and_the_api(app: FastAPI) -> None:
    client = _client(app, "hr")
    page = client.get("/upload/template?kind=empty&format=xlsx")
    assert page.status_code == 200
    assert page.headers["content-type"] == XLSX
    assert 'filename="workforce-empty.xlsx"' in page.headers["content-disposition"]
    empty = openpyxl.load_workbook(io.BytesIO(page.content))
    assert empty["Identity record"].max_row == 2  # headers and notes
    full = client.get("/api/upload/template?kind=full&format=xlsx&command=true")
    assert full.headers["content-type"] == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(full.content))["Identity record"]
    assert sheet["A1"].value == "Command"
    assert sheet.max_row == 2 + 200
    zipped = client.get("/api/upload/template?kind=empty&format=csv-zip")
    assert zipped.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
        assert "Identity record.csv" in archive.namelist()
    assert client.get("/api/upload/template?kind=nothing").status_code == 422


def test_the_upload_page_offers_the_templates_and_the_size_limit(
        app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploads, "list_uploads", lambda conn, limit=50, offset=0: [
        hand_built_upload(state="loaded", preview_run_id=3, run_id=4)])
    page = _client(app, "hr").get("/upload", headers=HTML).text
    for link in ("kind=empty&amp;format=xlsx", "kind=empty&amp;format=csv-zip",
                 "kind=full&amp;format=xlsx", "kind=full&amp;format=xlsx&amp;command=true"):
        assert f'href="/upload/template?{link}"' in page
    assert 'enctype="multipart/form-data"' in page
    assert "at most 50 MB" in page
    row = re.search(r"<tr>\s*<td><a href=\"/upload/7\">.*?</tr>", page, re.S)
    assert row is not None
    for shown in ("workforce.xlsx", "hr", "2026-11-30 08:00", "1,234 bytes",
                  "<code title=\"" + "ab" * 32 + "\">abababababab</code>", "complete",
                  "loaded", 'href="/runs/3"', 'href="/runs/4"'):
        assert shown in row.group(0), shown


def test_a_file_over_the_limit_is_refused_unread(tmp_path: Path, sqlite_url: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploads, "list_uploads", lambda conn, limit=50, offset=0: [])
    monkeypatch.setattr(uploads, "receive", _never)
    folder = make_project(tmp_path / "hr", sqlite_url, people=200)
    config = folder / "config" / "directory.yaml"
    config.write_text(config.read_text().replace("max_megabytes: 50", "max_megabytes: 0.001"))
    application = make_app(folder, sqlite_url)
    with application.state.headcount.engine.begin() as conn:
        deployments.deploy(conn, load_project_config(folder))
    client = _client(application, "hr")
    big = {"file": ("big.csv", b"x" * 5000)}
    answer = client.post("/api/uploads", files=big)
    assert answer.status_code == 413
    assert answer.json()["detail"] == ("big.csv: the file is 5,000 bytes, larger than the "
                                       "0.001 MB an upload may be")
    page = client.post("/upload", files=big, headers=HTML)
    assert page.status_code == 413
    assert "Not uploaded: big.csv: the file is" in page.text
    application.state.headcount.engine.dispose()


def _never(*args: Any) -> None:
    raise AssertionError("a file over the limit is never kept nor read")


def _verification(app: FastAPI, problems: tuple[Problem, ...] = PROBLEMS) -> Verification:
    return hand_built_verification(app.state.headcount.project(), problems)


def _shown(app: FastAPI, monkeypatch: pytest.MonkeyPatch, upload: Upload,
           verification: Verification | None) -> str:
    monkeypatch.setattr(uploads, "get_upload", lambda conn, upload_id: upload)
    monkeypatch.setattr(uploads, "verification_of", lambda ctx, upload_id: verification)
    answer = _client(app, "hr").get("/upload/7", headers=HTML)
    assert answer.status_code == 200
    return answer.text


def test_the_rows_in_error_are_shown_as_uploaded_with_their_message(
        app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    page = _shown(app, monkeypatch, hand_built_upload(), _verification(app))
    assert "2 errors, 1 warning" in page
    errors = page[page.index('id="errors"'):page.index('id="warnings"')]
    # The header row as uploaded above the rows, each row with all its cells.
    assert "RecordIdentifier *" in errors
    rows = re.findall(r'<tr>\s*<th scope="row">(\d+)</th>(.*?)</tr>', errors, re.S)
    assert [number for number, _ in rows] == ["4", "5"]  # the rows in error only
    four = rows[0][1]
    assert ">R2<" in four
    assert ">E00002<" in four
    assert re.search(r'<td class="wrong">31/02/2026', four)
    assert "<strong>ContractStartDate (C)</strong>: `31/02/2026` is not a date" in four
    five = rows[1][1]
    assert re.search(r'<td class="wrong">E99999', five)
    assert "<td>2026-03-01</td>" in five  # a right cell is not marked
    assert "no Identity has the key `E99999`" in five
    # Warnings apart, the ignored tab, the file sent back; nothing to load.
    warnings = page[page.index('id="warnings"'):]
    assert "tab Identity record, column Phone (H): column Phone ignored" in warnings
    assert "Lists: the template&#39;s lists" in page
    assert 'href="/upload/7/problems.xlsx"' in page
    assert "/upload/7/load" not in page
    assert "/upload/7/preview" not in page


def test_a_verified_upload_offers_preview_and_a_confirmed_load(
        app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    page = _shown(app, monkeypatch, hand_built_upload(state="verified", errors=0, warnings=0),
                  _verification(app, ()))
    assert "0 errors, 0 warnings. The file verifies." in page
    assert 'action="/upload/7/preview"' in page
    assert 'action="/upload/7/load"' in page
    assert 'name="confirmed" value="yes" required' in page
    assert 'id="errors"' not in page
    # A load without the confirmation is refused before anything runs.
    client = _client(app, "hr")
    refused = client.post("/upload/7/load", headers=HTML)
    assert refused.status_code == 422
    assert "tick the box to confirm" in refused.text


def test_a_loaded_upload_offers_the_roll_back_and_the_scan(
        app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    page = _shown(app, monkeypatch, hand_built_upload(state="loaded", errors=0, run_id=12),
                  _verification(app, ()))
    assert 'action="/upload/7/rollback"' in page
    assert 'href="/runs/12"' in page
    assert 'href="/upload/scan"' in page
    refused = _client(app, "hr").post("/upload/7/rollback", headers=HTML)
    assert refused.status_code == 422
    assert "say why" in refused.text


def test_a_refused_file_says_why(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    page = _shown(app, monkeypatch, hand_built_upload(
        state="refused", mode=None, errors=0, warnings=0,
        message="workforce.xlsx: the workbook contains macros, which are never accepted"),
        None)
    assert "Refused: workforce.xlsx: the workbook contains macros" in page
    assert "/upload/7/load" not in page
