"""The Upload pages and the template downloads (SPEC §9, §12): only the `upload` permission (hr,
administrator) sees the menu entry or any page, the templates come as readable workbooks and
zips from the pages and the API, a file over the size limit is listed as refused without being
kept, and an upload's verification shows each row in error as it was uploaded, the cell in
error marked, the message beside it, warnings apart — each on real files, the sample's template
filled with openpyxl, posted to the routes and kept by the store of uploads."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from headcount.config.loader import load_project_config
from headcount.project import ProjectContext
from headcount.repository import deployments
from headcount.upload.templates import Kind
from uploadsample import RECORDS, Filled
from webproject import bearer, login, make_app, make_project

HTML = {"Accept": "text/html"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MB = 1024 * 1024


@pytest.fixture
def app(tmp_path: Path, sqlite_url: str) -> Iterator[FastAPI]:
    application = make_app(make_project(tmp_path / "hr", sqlite_url, people=200), sqlite_url)
    yield application
    application.state.headcount.engine.dispose()


def _client(app: FastAPI, name: str = "hr") -> TestClient:
    client = TestClient(app)
    client.headers["X-CSRF-Token"] = login(client, name)
    return client


def _filled(app: FastAPI, kind: Kind = "full") -> Filled:
    state = app.state.headcount
    return Filled(ProjectContext(state.project_dir, state.engine), kind)


def _saved(filled: Filled) -> bytes:
    out = io.BytesIO()
    filled.book.save(out)
    return out.getvalue()


def _sent(client: TestClient, content: bytes, name: str = "workforce.xlsx") -> str:
    """The page of the upload the form gave."""
    sent = client.post("/upload", files={"file": (name, content, XLSX)},
                       follow_redirects=False)
    assert sent.status_code == 303, sent.text
    return str(sent.headers["location"])


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
    assert _client(app, "hr").get("/api/uploads").json() == []  # nothing was kept


def test_hr_finds_the_upload_page_in_the_menu(app: FastAPI) -> None:
    client = _client(app)
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
    client = _client(app)
    page = client.get("/upload/template?kind=empty&format=xlsx")
    assert page.status_code == 200
    assert page.headers["content-type"] == XLSX
    assert 'filename="workforce-empty.xlsx"' in page.headers["content-disposition"]
    empty = openpyxl.load_workbook(io.BytesIO(page.content))
    assert empty["Identity record"].max_row == 2  # headers and notes
    adding = client.get("/upload/template?kind=empty&format=xlsx&command=true")
    assert 'filename="workforce-empty-command.xlsx"' in adding.headers["content-disposition"]
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


def test_the_upload_page_offers_the_templates_and_lists_each_upload(app: FastAPI) -> None:
    client = _client(app)
    content = _saved(_filled(app))
    where = _sent(client, content, "C:\\HR\\workforce.xlsx")
    upload_id = where.rsplit("/", 1)[1]
    assert client.post(f"{where}/preview", headers=HTML).status_code == 200
    page = client.get("/upload", headers=HTML).text
    for link in ("kind=empty&amp;format=xlsx", "kind=empty&amp;format=xlsx&amp;command=true",
                 "kind=empty&amp;format=csv-zip", "kind=full&amp;format=xlsx",
                 "kind=full&amp;format=xlsx&amp;command=true"):
        assert f'href="/upload/template?{link}"' in page
    assert 'enctype="multipart/form-data"' in page
    assert "at most 50 MB" in page
    row = re.search(rf'<tr>\s*<td><a href="{where}">.*?</tr>', page, re.S)
    assert row is not None, page
    sha = client.get(f"/api/uploads/{upload_id}").json()["sha256"]
    for shown in ("workforce.xlsx", "<td>hr</td>", f"{len(content):,} bytes",
                  f'<code title="{sha}">{sha[:12]}</code>', "complete", "verified",
                  'href="/runs/'):
        assert shown in row.group(0), shown
    # When it was uploaded, as a moment in the reader's language and time zone (UTC here).
    assert re.search(r"<td>\w{3} \d{1,2}, \d{4}, \d{1,2}:\d\d:\d\d\s[AP]M UTC</td>", row.group(0))


def _streamed(name: str, size: int, boundary: str = "headcount-test") -> Iterator[bytes]:
    """A multipart body with one file of `size` bytes, sent a megabyte at a time."""
    yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
           f"filename=\"{name}\"\r\nContent-Type: {XLSX}\r\n\r\n").encode()
    for start in range(0, size, MB):
        yield b"\0" * min(MB, size - start)
    yield f"\r\n--{boundary}--\r\n".encode()


@pytest.fixture
def stored_app(tmp_path: Path, db_url: str) -> Iterator[FastAPI]:
    """The sample on SQLite and PostgreSQL, where what is kept is the point."""
    application = make_app(make_project(tmp_path / "hr", db_url, people=200,
                                        synchronized=False), db_url)
    yield application
    application.state.headcount.engine.dispose()


def test_a_60_mb_file_is_listed_as_refused_and_not_kept(stored_app: FastAPI) -> None:
    client = _client(stored_app)
    runs = len(client.get("/api/runs").json())
    answer = client.post("/api/uploads", content=_streamed("big.xlsx", 60 * MB), headers={
        "Content-Type": "multipart/form-data; boundary=headcount-test"})
    assert answer.status_code == 413
    refused = answer.json()
    assert refused["state"] == "refused"
    assert refused["message"] == ("big.xlsx: the file is 60 MB, larger than the 50 MB an "
                                  "upload may be")
    assert refused["size"] == 60 * MB
    assert refused["problems"] == []
    # The page's form: the refused upload's page, saying why.
    sent = client.post("/upload", content=_streamed("C:\\HR\\huge.xlsx", 60 * MB),
                       follow_redirects=False, headers={
                           "Content-Type": "multipart/form-data; boundary=headcount-test"})
    assert sent.status_code == 303
    page = client.get(sent.headers["location"], headers=HTML).text
    assert ("Refused: huge.xlsx: the file is 60 MB, larger than the 50 MB an upload may be. "
            "Nothing was read from the file and nothing changed.") in page
    listed = client.get("/api/uploads").json()
    assert [(u["file_name"], u["state"], u["sha256"]) for u in listed] == [
        ("huge.xlsx", "refused", ""), ("big.xlsx", "refused", "")]
    assert "huge.xlsx" in client.get("/upload", headers=HTML).text
    # Nothing kept: no file to send back, nothing to load.
    assert client.get(f"/api/uploads/{refused['id']}/problems.xlsx").status_code == 404
    assert client.post(f"/api/uploads/{refused['id']}/load").status_code == 409
    assert len(client.get("/api/runs").json()) == runs


def test_a_file_just_over_a_small_limit_is_refused_too(tmp_path: Path, sqlite_url: str
                                                       ) -> None:
    folder = tmp_path / "hr"
    make_project(folder, sqlite_url, people=200, synchronized=False)
    config = folder / "config" / "directory.yaml"
    config.write_text(config.read_text().replace("max_megabytes: 50", "max_megabytes: 1"))
    application = make_app(folder, sqlite_url)
    with application.state.headcount.engine.begin() as conn:
        deployments.deploy(conn, load_project_config(folder))
    try:
        client = _client(application)
        fits = client.post("/api/uploads", files={"file": ("fits.csv", b"x" * MB)})
        assert fits.status_code == 201, fits.text
        over = client.post("/api/uploads", files={"file": ("over.csv", b"x" * (MB + 1))})
        assert over.status_code == 413, over.text
        assert over.json()["message"] == ("over.csv: the file is 1 MB, larger than the 1 MB "
                                          "an upload may be")
    finally:
        application.state.headcount.engine.dispose()


def test_the_rows_in_error_are_shown_as_uploaded_with_their_message(app: FastAPI) -> None:
    filled = _filled(app)
    filled.set(RECORDS, 4, ContractStartDate="31/02/2026")
    filled.set(RECORDS, 5, Manager="E99999")
    notes = filled.sheet(RECORDS).max_column + 1
    filled.sheet(RECORDS).cell(1, notes, "Remarks")
    client = _client(app)
    where = _sent(client, _saved(filled))
    page = client.get(where, headers=HTML).text
    assert "2 errors, " in page
    errors = page[page.index('id="errors"'):page.index('id="warnings"')]
    assert "Record identifier *" in errors  # the header row as uploaded, above the rows
    rows = re.findall(r'<tr>\s*<th scope="row">(\d+)</th>(.*?)</tr>', errors, re.S)
    assert [number for number, _ in rows] == ["4", "5"]  # the rows in error only
    four, five = rows[0][1], rows[1][1]
    # The message first, beside the row number, then the row's cells, the wrong one marked.
    assert re.search(r'^\s*<td class="why"><div><strong>Contract start date \([A-Z]+\)</strong>: '
                     r"`31/02/2026` is not a date.*?<td class=\"wrong\">31/02/2026", four, re.S)
    assert re.search(r'^\s*<td class="why"><div><strong>Manager \([A-Z]+\)</strong>: `E99999` '
                     r'is not a key of an Identity.*?<td class="wrong">E99999', five, re.S)
    assert five.count('class="wrong"') == 1  # the right cells are not marked
    warnings = page[page.index('id="warnings"'):]
    assert re.search(r"<th scope=\"row\">Identity record</th><td>1</td><td>Remarks \([A-Z]+\)"
                     r"</td><td>unknown column: ignored", warnings)
    # One line for the columns a rule computes from HR, not one per column.
    assert re.search(r"<th scope=\"row\">Identity</th><td>every row</td><td>Last name \(B\), "
                     r"First name \(C\), .*?</td><td>computed from HR", warnings)
    assert "Lists" in page[page.index("Tabs left alone"):]
    assert f'href="{where}/problems.xlsx"' in page
    assert f"{where}/load" not in page
    assert f"{where}/preview" not in page
    back = openpyxl.load_workbook(io.BytesIO(client.get(f"{where}/problems.xlsx").content))
    assert RECORDS in back.sheetnames


def test_a_verified_upload_offers_preview_and_a_confirmed_load(app: FastAPI) -> None:
    client = _client(app)
    where = _sent(client, _saved(_filled(app)))
    page = client.get(where, headers=HTML).text
    assert ", 0 errors, " in page
    assert "The file verifies." in page
    assert f'action="{where}/preview"' in page
    assert f'action="{where}/load"' in page
    assert 'name="confirmed" value="yes" required' in page
    assert 'id="errors"' not in page
    # A load without the confirmation is refused before anything runs.
    runs = len(client.get("/api/runs").json())
    refused = client.post(f"{where}/load", headers=HTML)
    assert refused.status_code == 422
    assert "tick the box to confirm" in refused.text
    assert len(client.get("/api/runs").json()) == runs


def test_a_loaded_upload_offers_the_roll_back_and_the_scan(app: FastAPI) -> None:
    filled = _filled(app)
    filled.set("Identity", 3, Last_name="Newname")
    client = _client(app)
    where = _sent(client, _saved(filled))
    loaded = client.post(f"{where}/load", data={"confirmed": "yes"}, headers=HTML)
    assert loaded.status_code == 200, loaded.text
    run_id = client.get(f"/api/uploads/{where.rsplit('/', 1)[1]}").json()["run_id"]
    page = client.get(where, headers=HTML).text
    assert re.search(r"When it was uploaded: 0 errors, \d+ warnings\. It was loaded: what it "
                     rf'changed is in <a href="/runs/{run_id}">', page)
    assert f'action="{where}/rollback"' in page
    assert f'href="/runs/{run_id}"' in page
    assert 'href="/upload/scan"' in page
    assert f'action="{where}/load"' not in page
    refused = client.post(f"{where}/rollback", headers=HTML)
    assert refused.status_code == 422
    assert "say why" in refused.text
    rolled = client.post(f"{where}/rollback", data={"reason": "the wrong file"}, headers=HTML)
    assert rolled.status_code == 200, rolled.text
    page = client.get(where, headers=HTML).text
    assert "It was loaded, then rolled back" in page
    assert f'action="{where}/rollback"' not in page


def test_a_load_over_a_threshold_is_blocked_and_says_what_to_do(app: FastAPI) -> None:
    filled = _filled(app)
    for row in range(3, 43):  # 40 of 200 people renamed: over the 5 % of updates
        filled.set("Identity", row, Last_name=f"Renamed{row}")
    client = _client(app)
    where = _sent(client, _saved(filled))
    blocked = client.post(f"{where}/load", data={"confirmed": "yes"}, headers=HTML)
    assert blocked.status_code == 200, blocked.text
    assert "Blocked: the load crossed a threshold and nothing was applied" in blocked.text
    page = client.get(where, headers=HTML).text
    assert f'action="{where}/load"' in page  # load anyway, saying why
    assert 'name="force" value="yes"' in page
    assert "The load crossed a threshold — connector Directory: max_updated_pct" in page
    assert "Renamed3" not in client.get("/api/uploads").text


def test_a_refused_file_says_why(app: FastAPI) -> None:
    client = _client(app)
    where = _sent(client, b"PK\x03\x04 not really a workbook", "workforce.xlsm")
    page = client.get(where, headers=HTML).text
    assert re.search(r"Refused: workforce\.xlsm: .*macro", page), page
    assert f"{where}/load" not in page
    assert f"{where}/problems.xlsx" not in page
