"""Hostile files (issue 11's done-when, SPEC §9): a file too large, zip bombs, an external XML
entity, macros, a CSV of formulas — each refused with a message naming the file and why, listed
as refused and audited, and nothing else changed, through `uploads.receive` and the API alike.
The same workbook without its hostile part verifies, so the refusal is what stops it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from headcount.errors import RunRefused
from headcount.repository.schema import audit_log
from headcount.upload.uploads import list_uploads, load, receive
from uploadfiles import EXTERNAL_ENTITY, rewrite_zip, write_xlsx, zip_of
from uploadproject import sample
from uploadsample import fingerprint
from webproject import login, make_app, make_project

MB = 1024 * 1024
# A mass update that adds one title: it verifies, and would change the repository if loaded.
ROWS = [["Command", "Identifier *", "DisplayName"], ["Add", "HOSTILE", "Hostile title"]]
CSV = b"Command,Identifier,DisplayName\nAdd,HOSTILE,Hostile title\n"
FORMULAS = b'Command,Identifier,DisplayName\nAdd,HOSTILE,"=HYPERLINK(""http://x/"",""y"")"\n'


@dataclass(frozen=True)
class Hostile:
    name: str  # the file's name as uploaded
    build: Callable[[Path], bytes]  # its content, from a clean workbook at the given path
    why: str  # what the message says after "name: "


def _part(part: str, content: bytes, name: str) -> Callable[[Path], bytes]:
    def build(book: Path) -> bytes:
        return rewrite_zip(book, book.with_name(name), {part: content}).read_bytes()
    return build


HOSTILE = [
    Hostile("big.xlsx", lambda book: book.read_bytes().ljust(60 * MB, b"\0"),
            "the file is 60 MB, larger than the 50 MB an upload may be"),
    Hostile("bomb.xlsx", _part("docProps/custom.xml", b" " * (32 * MB), "bomb.xlsx"),
            "`docProps/custom.xml` would grow"),
    Hostile("bomb.zip", lambda book: zip_of(book.with_name("bomb.zip"), {
        "Title.csv": CSV + bytes(64 * MB)}).read_bytes(), "`Title.csv` would grow"),
    Hostile("entity.xlsx", _part("xl/sharedStrings.xml", EXTERNAL_ENTITY, "entity.xlsx"),
            "the part `xl/sharedStrings.xml` declares XML entities"),
    Hostile("macros.xlsm", lambda book: book.read_bytes(),
            "macro-enabled workbooks are never accepted"),
    Hostile("macros.xlsx", _part("xl/vbaProject.bin", b"Attribute VB_Name", "macros.xlsx"),
            "the workbook contains macros, which are never accepted"),
    Hostile("Title.csv", lambda book: FORMULAS,
            "1 cell would run as a formula in a spreadsheet"),
]
IDS = [h.name for h in HOSTILE]


def audited(engine: sa.Engine) -> tuple[str, str, str, str]:
    with engine.connect() as conn:
        actor, action, target, reason = conn.execute(
            sa.select(audit_log.c.actor, audit_log.c.action, audit_log.c.target,
                      audit_log.c.reason).order_by(audit_log.c.id.desc()).limit(1)).one()
    return str(actor), str(action), str(target), str(reason)


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "titles.xlsx", {"Title": ROWS})


def test_each_hostile_file_is_refused_listed_audited_and_changes_nothing(
        tmp_path: Path, db_url: str, clean: Path) -> None:
    with sample(tmp_path / "p", db_url) as ctx:
        before = fingerprint(ctx.engine)
        for name, content in (("titles.xlsx", clean.read_bytes()), ("Title.csv", CSV)):
            upload, checked = receive(ctx, content, name, "alice")
            assert (upload.state, upload.errors) == ("verified", 0), (name, checked)
        for hostile in HOSTILE:
            upload, checked = receive(ctx, hostile.build(clean), hostile.name, "alice")
            assert checked is None, hostile.name
            assert (upload.state, upload.file_name) == ("refused", hostile.name)
            assert (upload.message or "").startswith(f"{hostile.name}: "), upload.message
            assert hostile.why in (upload.message or ""), upload.message
            with ctx.engine.connect() as conn:
                assert list_uploads(conn, limit=1)[0] == upload
            actor, action, target, reason = audited(ctx.engine)
            assert (actor, action) == ("alice", "upload")
            assert target == f"upload {upload.id} file {hostile.name} sha256 {upload.sha256}"
            assert reason == f"refused: {upload.message}"
            with pytest.raises(RunRefused, match=f"upload {upload.id} .* was refused"):
                load(ctx, upload.id, "alice")
            assert fingerprint(ctx.engine) == before, hostile.name


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> Iterator[FastAPI]:
    application = make_app(make_project(tmp_path / "hr", db_url, people=200), db_url)
    yield application
    application.state.headcount.engine.dispose()


def _client(app: FastAPI) -> TestClient:
    client = TestClient(app)
    client.headers["X-CSRF-Token"] = login(client, "hr")  # the hr role has the upload right
    return client


def test_each_hostile_file_sent_to_the_api_is_refused_and_changes_nothing(
        app: FastAPI, clean: Path) -> None:
    client = _client(app)
    engine: sa.Engine = app.state.headcount.engine
    before = fingerprint(engine)
    sent = client.post("/api/uploads", files={"file": ("titles.xlsx", clean.read_bytes())})
    assert (sent.status_code, sent.json()["state"]) == (201, "verified")
    for hostile in HOSTILE:
        answer = client.post("/api/uploads",
                             files={"file": (hostile.name, hostile.build(clean))})
        # A file over the limit is refused before it is read whole: 413, listed all the same.
        assert answer.status_code == (413 if hostile.name == "big.xlsx" else 201), answer.text
        upload = answer.json()
        assert upload["state"] == "refused"
        assert upload["message"].startswith(f"{hostile.name}: "), upload["message"]
        assert hostile.why in upload["message"]
        assert upload["problems"] == []
        assert upload["tabs"] == []
        assert client.get("/api/uploads?limit=1").json()[0]["id"] == upload["id"]
        actor, action, target, reason = audited(engine)
        assert (actor, action, reason) == ("hr", "upload", f"refused: {upload['message']}")
        assert target.startswith(f"upload {upload['id']} file {hostile.name} ")
        load = client.post(f"/api/uploads/{upload['id']}/load", json={})
        assert load.status_code == 409
        assert "was refused" in load.text
        assert fingerprint(engine) == before, hostile.name


def test_the_api_lists_and_audits_a_file_too_large(app: FastAPI, clean: Path) -> None:
    client = _client(app)
    big = HOSTILE[0]
    answer = client.post("/api/uploads", files={"file": (big.name, big.build(clean))})
    assert answer.status_code == 413
    listed = client.get("/api/uploads?limit=1").json()
    assert listed
    assert (listed[0]["file_name"], listed[0]["state"]) == (big.name, "refused")
    assert audited(app.state.headcount.engine)[:2] == ("hr", "upload")
