"""Manual upload on the web (SPEC §9, §12): the Upload page — templates to download, the upload
form, the list of uploads —, an upload's verification with the rows in error shown as they were
uploaded, its preview, load and roll-back, the data model scan; and the REST API of the same.
Only the `upload` permission (the hr and administrator roles) sees or does any of it."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import Annotated, Any

import polars as pl
from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    Query,
    Request,
    UploadFile,
    status,
)
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from headcount.connections.reader import LINE
from headcount.errors import HeadcountError, NotFound
from headcount.project import ProjectContext
from headcount.repository.users import User
from headcount.upload import uploads
from headcount.upload.annotate import annotated_workbook
from headcount.upload.scan import scan
from headcount.upload.templates import Format, Kind, write_template
from headcount.upload.uploads import Upload
from headcount.upload.verified import Problem, Verification
from headcount.web.api.errors import GUARDED, responses
from headcount.web.api.models import Id, RunOut
from headcount.web.api.runs import run_out
from headcount.web.api.timestamps import Instant
from headcount.web.auth import app_state, require
from headcount.web.i18n import gettext as _
from headcount.web.rendering import render
from headcount.web.state import AppState

router = APIRouter()
api = APIRouter(prefix="/api", tags=["uploads"], responses=responses(*GUARDED))
pages = APIRouter(prefix="/upload", include_in_schema=False)
Uploader = Annotated[User, Depends(require("upload"))]
NoNul = r"^[^\x00]*$"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_ROWS = 200  # rows in error shown per tab; the file sent back holds them all
_NAME_LENGTH = 255
SETTLED = ("loaded", "rolled back")  # shown as verified when uploaded, not verified again


class ProblemOut(BaseModel):
    tab: str
    row: int | None = Field(description="The row number Excel shows; null: the whole tab.")
    column: str | None = Field(description="The header as written; null: the whole row.")
    letter: str | None = Field(description="The column's letter (A, B, … AA).")
    value: str | None
    message: str
    severity: str = Field(description="error | warning")


class UploadOut(BaseModel):
    id: int
    file_name: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: Instant
    state: str = Field(description="refused | errors | verified | loaded | blocked | "
                                   "rolled back | failed")
    mode: str | None = Field(description="initial | complete | update, once read")
    errors: int
    warnings: int
    preview_run_id: int | None
    run_id: int | None
    rollback_run_id: int | None
    message: str | None


class TabOut(BaseModel):
    tab: str
    entity_type: str
    rows: int


class IgnoredOut(BaseModel):
    tab: str
    why: str


class UploadDetail(UploadOut):
    tabs: list[TabOut]
    ignored: list[IgnoredOut]
    problems: list[ProblemOut]


class PreviewOut(BaseModel):
    run: RunOut = Field(description="The dry run: its staged changes, orders and workflows are "
                                    "under /api/runs/{id}.")
    sentences: list[str]
    counts: dict[str, dict[str, int]] = Field(description="Per tab: inserted, updated, "
                                                          "deleted.")


class LoadIn(BaseModel):
    force: bool = Field(False, description="Override the thresholds (needs a reason).")
    reason: str | None = Field(None, max_length=2000, pattern=NoNul)


class RollbackIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, pattern=NoNul)


def _upload_out(u: Upload) -> UploadOut:
    return UploadOut(id=u.id, file_name=u.file_name, size=u.size, sha256=u.sha256,
                     uploaded_by=u.uploaded_by, uploaded_at=u.uploaded_at, state=u.state,
                     mode=u.mode, errors=u.errors, warnings=u.warnings,
                     preview_run_id=u.preview_run_id, run_id=u.run_id,
                     rollback_run_id=u.rollback_run_id, message=u.message)


def _problem_out(p: Problem) -> ProblemOut:
    return ProblemOut(tab=p.tab, row=p.row, column=p.column, letter=p.letter, value=p.value,
                      message=p.message, severity=p.severity)


def _detail(u: Upload, v: Verification | None) -> UploadDetail:
    return UploadDetail(
        **_upload_out(u).model_dump(),
        tabs=[TabOut(tab=t.tab, entity_type=t.entity_type.identifier, rows=t.rows)
              for t in (v.tabs if v else ())],
        ignored=[IgnoredOut(tab=tab, why=why) for tab, why in (v.ignored if v else ())],
        problems=[_problem_out(p) for p in (v.problems if v else ())])


def _ctx(state: AppState) -> ProjectContext:
    return ProjectContext(state.project_dir, state.engine)


def _file_name(file: UploadFile) -> str:
    """The name the browser sent, without a folder a client may have put in it."""
    name = PurePath((file.filename or "").replace("\\", "/")).name.replace("\x00", "")
    return name[:_NAME_LENGTH] or "upload"


_CHUNK = 1024 * 1024


async def _content(state: AppState, file: UploadFile) -> bytes | None:
    """The file, or None when it is larger than the project's limit: read a chunk at a time
    up to one byte past the limit, so a 60 MB file is never held in memory."""
    limit = state.project().upload.max_bytes
    chunks: list[bytes] = []
    seen = 0
    while seen <= limit:
        chunk = await file.read(min(_CHUNK, limit + 1 - seen))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        seen += len(chunk)
    return None


async def _received(state: AppState, file: UploadFile, actor: str
                    ) -> tuple[Upload, Verification | None, bool]:
    """The file kept and verified, or listed as refused for its size (True then)."""
    content = await _content(state, file)
    if content is None:
        size = file.size if file.size is not None else state.project().upload.max_bytes + 1
        upload = await run_in_threadpool(uploads.refuse_oversized, _ctx(state),
                                         _file_name(file), size, actor)
        return upload, None, True
    # Reading and verifying a large workbook takes seconds: off the event loop.
    upload, verification = await run_in_threadpool(
        uploads.receive, _ctx(state), content, _file_name(file), actor)
    return upload, verification, False


def _template(state: AppState, kind: Kind, fmt: Format, command: bool) -> Response:
    out = io.BytesIO()
    with state.engine.connect() as conn:
        write_template(conn, state.project(), out, kind, fmt, command)
    suffix, media = ("xlsx", XLSX) if fmt == "xlsx" else ("zip", "application/zip")
    name = f"workforce-{kind}{'-command' if command else ''}.{suffix}"
    return Response(out.getvalue(), media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _problems_file(state: AppState, upload_id: int) -> Response:
    verification = uploads.verification_of(_ctx(state), upload_id)
    if verification is None:
        raise NotFound(f"upload {upload_id} was refused: there is no file to send back")
    name = f"upload-{upload_id}-problems.xlsx"
    return Response(annotated_workbook(verification), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


TEMPLATE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **responses(*GUARDED, 422),
    200: {"content": {XLSX: {}, "application/zip": {}},
          "description": "The template: an .xlsx workbook, or a zip of one CSV per tab."}}


@api.get("/upload/template", response_class=Response, responses=TEMPLATE_RESPONSES)
def template(request: Request, user: Uploader, kind: Kind = "empty",
             format: Format = "xlsx", command: bool = False) -> Response:
    """The upload template of the Directory connector, a tab per entity type: `empty`, or
    `full` of the current data; `command=true` adds the mass update's Command column."""
    return _template(app_state(request), kind, format, command)


@api.post("/uploads", status_code=201, responses={**responses(*GUARDED, 422), 413: {
    "model": UploadDetail, "description": "The file is larger than an upload may be: listed "
                                          "as refused, with why in `message`, and not kept."}})
async def send(request: Request, response: Response, user: Uploader,
               file: Annotated[UploadFile, File(description="An .xlsx, .csv or .zip of CSV "
                                                            "files.")]) -> UploadDetail:
    """Keep and verify a file: the upload and every problem found (a refused file is listed
    too, with why in `message`)."""
    upload, verification, oversized = await _received(app_state(request), file, user.name)
    if oversized:
        response.status_code = status.HTTP_413_CONTENT_TOO_LARGE
    return _detail(upload, verification)


@api.get("/uploads", responses=responses(*GUARDED, 422))
def list_all(request: Request, user: Uploader,
             limit: Annotated[int, Query(ge=1, le=500)] = 50,
             offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> list[UploadOut]:
    """The uploads, newest first."""
    with app_state(request).engine.connect() as conn:
        return [_upload_out(u) for u in uploads.list_uploads(conn, limit, offset)]


@api.get("/uploads/{upload_id}", responses=responses(*GUARDED, 404, 422))
def get_one(request: Request, user: Uploader, upload_id: Id) -> UploadDetail:
    """An upload and its problems, verified against the repository as it is now."""
    state = app_state(request)
    with state.engine.connect() as conn:
        upload = uploads.get_upload(conn, upload_id)
    return _detail(upload, uploads.verification_of(_ctx(state), upload_id))


@api.post("/uploads/{upload_id}/preview", responses=responses(*GUARDED, 404, 409, 422))
def preview(request: Request, user: Uploader, upload_id: Id) -> PreviewOut:
    """A dry run of the load: what it would insert, update and delete, and the orders and
    workflows it would start; nothing changes."""
    state = app_state(request)
    done = uploads.preview(_ctx(state), upload_id, user.name)
    return PreviewOut(run=run_out(state, done.run), sentences=done.sentences,
                      counts=done.counts)


@api.post("/uploads/{upload_id}/load", responses=responses(*GUARDED, 404, 409, 422))
def load(request: Request, user: Uploader, upload_id: Id, body: LoadIn | None = None
         ) -> RunOut:
    """Load a verified upload through the synchronization engine: the run's job result (a
    blocked run waits for a resume, its changes staged)."""
    state = app_state(request)
    body = body or LoadIn()
    run = uploads.load(_ctx(state), upload_id, user.name, body.force, body.reason)
    return run_out(state, run)


@api.post("/uploads/{upload_id}/rollback", responses=responses(*GUARDED, 404, 409, 422))
def rollback(request: Request, user: Uploader, upload_id: Id, body: RollbackIn) -> RunOut:
    """Undo a load by a compensating run, through thresholds and history."""
    state = app_state(request)
    return run_out(state, uploads.rollback(_ctx(state), upload_id, user.name, body.reason))


@api.get("/uploads/{upload_id}/problems.xlsx", response_class=Response,
         responses={**responses(*GUARDED, 404, 422), 200: {
             "content": {XLSX: {}}, "description": "The file with its problems."}})
def problems_file(request: Request, user: Uploader, upload_id: Id) -> Response:
    """The uploaded tabs with a first column Problems and each cell in error highlighted."""
    return _problems_file(app_state(request), upload_id)


@dataclass(frozen=True)
class ShownRow:
    """A row in error as it was uploaded, and what is wrong with it."""

    row: int | None
    cells: list[tuple[str, str | None, bool]]  # letter, value, in error
    problems: list[Problem]


@dataclass(frozen=True)
class ShownTab:
    tab: str
    letters: list[str]
    headers: list[str | None]
    rows: list[ShownRow]
    more: int  # rows in error beyond those shown


def shown_tabs(verification: Verification, severity: str = "error") -> list[ShownTab]:
    """The problems of one severity by tab, each row in error with its cells as uploaded (the
    header row above them), the cells in error marked; problems of a whole tab first."""
    sheets = {s.name: s for s in verification.workbook.sheets}
    by_tab: dict[str, list[Problem]] = {}
    for p in verification.problems:
        if p.severity == severity:
            by_tab.setdefault(p.tab, []).append(p)
    shown = []
    for tab, problems in by_tab.items():
        sheet = sheets.get(tab)
        frame = sheet.frame if sheet is not None else pl.DataFrame({LINE: []})
        letters = [c for c in frame.columns if c != LINE]
        numbers = sorted({p.row for p in problems if p.row is not None})
        cells = {int(r[LINE]): r for r in frame.filter(
            pl.col(LINE).is_in([1, *numbers[:SHOWN_ROWS]])).iter_rows(named=True)}
        header = cells.get(1, {})
        rows = [ShownRow(None, [], [p for p in problems if p.row is None])] \
            if any(p.row is None for p in problems) else []
        for number in numbers[:SHOWN_ROWS]:
            mine = [p for p in problems if p.row == number]
            wrong = {p.letter for p in mine}
            values = cells.get(number, {})
            rows.append(ShownRow(number, [(letter, values.get(letter), letter in wrong)
                                          for letter in letters], mine))
        shown.append(ShownTab(tab, letters, [header.get(letter) for letter in letters], rows,
                              max(0, len(numbers) - SHOWN_ROWS)))
    return shown


@dataclass(frozen=True)
class ShownWarning:
    tab: str
    row: int | None
    columns: list[str]  # "Last name (B)"
    message: str


def shown_warnings(verification: Verification) -> list[ShownWarning]:
    """The warnings, those saying the same of several columns of a tab on one line: a full
    template gives one "computed from HR" warning per column."""
    grouped: dict[tuple[str, int | None, str], list[str]] = {}
    for p in verification.warnings:
        columns = grouped.setdefault((p.tab, p.row, p.message), [])
        if p.column:
            column = p.column.removesuffix(" *")
            columns.append(f"{column} ({p.letter})" if p.letter else column)
    return [ShownWarning(tab, row, columns, message)
            for (tab, row, message), columns in grouped.items()]


@pages.get("", response_class=HTMLResponse)
def upload_page(request: Request, user: Uploader) -> Response:
    return _list_page(request, user, {})


def _list_page(request: Request, user: User, context: dict[str, Any], code: int = 200
               ) -> Response:
    state = app_state(request)
    with state.engine.connect() as conn:
        found = uploads.list_uploads(conn)
    return render(request, "upload/uploads.html", {
        "uploads": found, "max_megabytes": state.project().upload.max_megabytes,
        **context}, user, status_code=code)


@pages.post("")
async def upload_file(request: Request, user: Uploader,
                      file: Annotated[UploadFile, File()]) -> Response:
    upload, _, _ = await _received(app_state(request), file, user.name)
    return RedirectResponse(f"/upload/{upload.id}", status_code=303)


@pages.get("/template")
def template_page(request: Request, user: Uploader, kind: Kind = "empty",
                  format: Format = "xlsx", command: bool = False) -> Response:
    return _template(app_state(request), kind, format, command)


@pages.get("/scan", response_class=HTMLResponse)
def scan_page(request: Request, user: Uploader) -> Response:
    state = app_state(request)
    with state.engine.connect() as conn:
        found = scan(conn, state.project())
    return render(request, "upload/scan.html", {"scanned": found}, user)


@pages.get("/{upload_id}", response_class=HTMLResponse)
def verification_page(request: Request, user: Uploader, upload_id: Id) -> Response:
    return _upload_view(request, user, upload_id, {})


def _upload_view(request: Request, user: User, upload_id: int, context: dict[str, Any],
                 code: int = 200) -> Response:
    state = app_state(request)
    with state.engine.connect() as conn:
        upload = uploads.get_upload(conn, upload_id)
    # A loaded file verified again against the repository it changed would report its own
    # rows (an Add of a key that now exists): what it did is in its job result instead.
    settled = upload.state in SETTLED
    verification = uploads.verification_of(_ctx(state), upload_id)
    if settled and verification is not None:
        verification = replace(verification, problems=())
    return render(request, "upload/upload.html", {
        "settled": settled,
        "u": upload, "v": verification,
        "errors": shown_tabs(verification) if verification else [],
        "warnings": shown_warnings(verification) if verification else [],
        **context}, user, status_code=code)


@pages.get("/{upload_id}/problems.xlsx")
def problems_page(request: Request, user: Uploader, upload_id: Id) -> Response:
    return _problems_file(app_state(request), upload_id)


@pages.post("/{upload_id}/preview")
def preview_page(request: Request, user: Uploader, upload_id: Id) -> Response:
    state = app_state(request)
    try:
        done = uploads.preview(_ctx(state), upload_id, user.name)
    except HeadcountError as exc:
        return _refused(request, user, upload_id, exc)
    return _upload_view(request, user, upload_id, {"previewed": done})


@pages.post("/{upload_id}/load")
def load_page(request: Request, user: Uploader, upload_id: Id,
              confirmed: Annotated[str, Form(max_length=8, pattern=NoNul)] = "",
              force: Annotated[str, Form(max_length=8, pattern=NoNul)] = "",
              reason: Annotated[str, Form(max_length=2000, pattern=NoNul)] = "") -> Response:
    if confirmed != "yes":
        return _upload_view(request, user, upload_id, {
            "error": _("Not loaded: tick the box to confirm the load.")}, 422)
    state = app_state(request)
    try:
        run = uploads.load(_ctx(state), upload_id, user.name, force == "yes",
                           reason.strip() or None)
    except HeadcountError as exc:
        return _refused(request, user, upload_id, exc)
    return _upload_view(request, user, upload_id, {"loaded": run})


@pages.post("/{upload_id}/rollback")
def rollback_page(request: Request, user: Uploader, upload_id: Id,
                  reason: Annotated[str, Form(max_length=2000, pattern=NoNul)] = "") -> Response:
    if not reason.strip():
        return _upload_view(request, user, upload_id, {
            "error": _("Not rolled back: say why.")}, 422)
    state = app_state(request)
    try:
        run = uploads.rollback(_ctx(state), upload_id, user.name, reason.strip())
    except HeadcountError as exc:
        return _refused(request, user, upload_id, exc)
    return _upload_view(request, user, upload_id, {"rolled_back": run})


def _refused(request: Request, user: User, upload_id: int, exc: HeadcountError) -> Response:
    if isinstance(exc, NotFound):
        raise exc
    return _upload_view(request, user, upload_id, {"error": str(exc)}, 409)


router.include_router(api)
router.include_router(pages)
