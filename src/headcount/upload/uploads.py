"""Uploads as a list (SPEC §9): each file kept with its checksum, who sent it, its verification
and the runs it gave — preview, load, roll-back — through the same engine as HR files."""

from __future__ import annotations

import hashlib
import re
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa

from headcount.errors import NotFound, RunRefused
from headcount.jobs.blocked import staged_changes
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import runs
from headcount.repository.database import begin_write
from headcount.repository.provenance import APPLIED
from headcount.repository.runs import RunRecord
from headcount.repository.schema import resources, upload_files, uploads
from headcount.repository.schema import runs as runs_table
from headcount.upload.archive import megabytes
from headcount.upload.columns import upload_connector
from headcount.upload.limits import upload_limits
from headcount.upload.refusal import UploadRefused
from headcount.upload.rollback import compensating_run
from headcount.upload.source import Sent, engine_mode, upload_source
from headcount.upload.summary import per_tab, sentences
from headcount.upload.verified import Verification
from headcount.upload.verify import verify
from headcount.upload.workbook import read_workbook

# refused: not read (size, zip bomb, macros… — `message` says why); errors: read, verify found
# errors; verified: ready to preview or load; loaded; blocked: its load crossed a threshold
# (the run waits for a resume); rolled back; failed: its load failed (`message`).
State = Literal["refused", "errors", "verified", "loaded", "blocked", "rolled back", "failed"]
# The states from which a load may start: a cancelled or failed load left nothing behind.
LOADABLE = ("verified", "failed")
# A file name's length in bytes, well under every file system's 255.
_NAME_BYTES = 120


@dataclass(frozen=True)
class Upload:
    id: int
    file_name: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    state: State
    mode: str | None  # initial | complete | update, once read
    errors: int
    warnings: int
    preview_run_id: int | None
    run_id: int | None
    rollback_run_id: int | None
    message: str | None

    @property
    def sent(self) -> Sent:
        return Sent(self.id, self.file_name, self.size, self.sha256, self.uploaded_by)


@dataclass(frozen=True)
class Previewed:
    """A dry run of the load: its job result (staged changes, orders, workflows) and the
    summary in plain words ("this file would end 412 of 3,000 contracts, add 25 people…")."""

    run: RunRecord
    sentences: list[str]
    # Per tab: inserted, updated, deleted.
    counts: dict[str, dict[str, int]]


def receive(ctx: ProjectContext, content: bytes, file_name: str, actor: str
            ) -> tuple[Upload, Verification | None]:
    """Keep the file (audited: file, size, sha256, who), read it within the project's limits
    and verify it. A refused file is kept and listed too, with why; None then."""
    deployment, project = ctx.deployed()
    limits = upload_limits(project.upload)
    if len(content) > limits.max_bytes:
        # Refused before anything else: neither kept nor read.
        why = _oversized(file_name, len(content), limits.max_bytes)
        return record(ctx, content, file_name, actor, None, why, keep=False), None
    with tempfile.TemporaryDirectory(prefix="headcount-upload-") as folder:
        path = Path(folder) / _safe_name(file_name)
        path.write_bytes(content)
        try:
            workbook = read_workbook(path, limits)
        except UploadRefused as refused:
            return record(ctx, content, file_name, actor, None, str(refused)), None
    with ctx.engine.connect() as conn:
        moment = (deployment, *_repository_moment(conn))
        verification = verify(conn, project, workbook)
    upload = record(ctx, content, file_name, actor, verification)
    _keep((str(ctx.engine.url), upload.id), moment, verification)
    return upload, verification


def refuse_oversized(ctx: ProjectContext, file_name: str, size_seen: int, actor: str
                     ) -> Upload:
    """List and audit a file larger than the project's limit, refused before anything else:
    neither kept nor read. `size_seen` is its size as far as it was read (the web reads one
    byte past the limit, never the whole of it); no checksum, as it was not read through."""
    _, project = ctx.deployed()
    why = _oversized(file_name, size_seen, project.upload.max_bytes)
    return _listed(ctx, file_name, size_seen, "", actor, None, why, None)


def _oversized(file_name: str, size: int, max_bytes: int) -> str:
    shown = megabytes(size) if size >= 1024 * 1024 else f"{size:,} bytes"
    limit = megabytes(max_bytes) if max_bytes >= 1024 * 1024 else f"{max_bytes:,} bytes"
    return str(UploadRefused(_safe_name(file_name), f"the file is {shown}, larger than the "
                             f"{limit} an upload may be"))


def _safe_name(file_name: str) -> str:
    """The uploaded name without folders, as the reader's refusals and tab names use it, and
    short enough for any file system (its extension kept: it says how the file is read)."""
    name = re.split(r"[\\/]", file_name)[-1].replace("\x00", "").strip()
    if name in ("", ".", ".."):
        name = "upload"
    suffix = Path(name).suffix[:10]
    stem = name[:len(name) - len(Path(name).suffix)] if Path(name).suffix else name
    while len((stem + suffix).encode()) > _NAME_BYTES:
        stem = stem[:-1]
    return (stem or "upload") + suffix


def record(ctx: ProjectContext, content: bytes, file_name: str, actor: str,
           verification: Verification | None, refusal: str | None = None, keep: bool = True
           ) -> Upload:
    """List the upload with its verification's counts (or why it was refused), keep its
    content unless `keep` is False, and audit it."""
    return _listed(ctx, file_name, len(content), hashlib.sha256(content).hexdigest(), actor,
                   verification, refusal, content if keep else None)


def _listed(ctx: ProjectContext, file_name: str, size: int, sha: str, actor: str,
            verification: Verification | None, refusal: str | None, content: bytes | None
            ) -> Upload:
    name = _safe_name(file_name)
    if verification is None:
        state, mode, errors, warnings = "refused", None, 0, 0
    else:
        errors, warnings = len(verification.errors), len(verification.warnings)
        state, mode = ("errors" if errors else "verified"), verification.mode
    with begin_write(ctx.engine) as conn:
        upload_id = int(conn.execute(sa.insert(uploads).values(
            file_name=name, size=size, sha256=sha, uploaded_by=actor,
            uploaded_at=datetime.now(UTC), state=state, mode=mode, errors=errors,
            warnings=warnings, message=refusal).returning(uploads.c.id)).scalar_one())
        if content is not None:
            conn.execute(sa.insert(upload_files).values(upload_id=upload_id, content=content))
        outcome = f"refused: {refusal}" if refusal else \
            f"{state}, {errors} errors, {warnings} warnings, {mode}"
        # A file refused for its size was not read through: no checksum, its size instead.
        runs.audit(conn, actor, "upload", f"upload {upload_id} file {name} " +
                   (f"sha256 {sha}" if sha else f"size {size:,} bytes, not read"),
                   outcome)
        return get_upload(conn, upload_id)


_COLUMNS = [uploads.c[name] for name in (
    "id", "file_name", "size", "sha256", "uploaded_by", "uploaded_at", "state", "mode",
    "errors", "warnings", "preview_run_id", "run_id", "rollback_run_id", "message")]
_load_run = runs_table.alias("load_run")
_rollback_run = runs_table.alias("rollback_run")


def _query() -> sa.Select[Any]:
    return (sa.select(*_COLUMNS, _load_run.c.state.label("load_state"),
                      _rollback_run.c.state.label("rollback_state"))
            .outerjoin(_load_run, _load_run.c.id == uploads.c.run_id)
            .outerjoin(_rollback_run, _rollback_run.c.id == uploads.c.rollback_run_id))


def _from_row(row: Any) -> Upload:
    m = row._mapping
    values = {c.name: m[c.name] for c in _COLUMNS}
    values["state"] = _state(m["state"], m["load_state"], m["rollback_state"])
    return Upload(**values)


def _state(stored: str, load: str | None, rollback: str | None) -> State:
    """What the upload is now: a blocked load resumed or cancelled by the runs' own paths
    changes the upload's state without the upload knowing, so it is read from its runs."""
    if stored in ("refused", "errors"):
        return stored  # type: ignore[return-value]
    if rollback in APPLIED:
        return "rolled back"
    if load is None or load == runs.RUNNING:
        return stored  # type: ignore[return-value]
    if load == runs.BLOCKED:
        return "blocked"
    if load in APPLIED:
        return "loaded"
    if load == runs.CANCELLED:
        return "verified"
    return "failed"


def list_uploads(conn: sa.Connection, limit: int = 50, offset: int = 0) -> list[Upload]:
    rows = conn.execute(_query().order_by(uploads.c.id.desc()).limit(limit).offset(offset))
    return [_from_row(r) for r in rows]


def get_upload(conn: sa.Connection, upload_id: int) -> Upload:
    row = conn.execute(_query().where(uploads.c.id == upload_id)).first()
    if row is None:
        raise NotFound(f"no upload {upload_id}")
    return _from_row(row)


def verification_of(ctx: ProjectContext, upload_id: int) -> Verification | None:
    """The upload's verification against the repository as it is now; None for a refused file.
    Kept from the last time while no run has changed the repository since: reading and
    verifying 100,000 rows again for the page, the preview and the load would triple their
    cost."""
    deployment, project = ctx.deployed()
    with ctx.engine.connect() as conn:
        upload = get_upload(conn, upload_id)
        moment = (deployment, *_repository_moment(conn))
        key = (str(ctx.engine.url), upload_id)
        kept = _kept(key, moment)
        if kept is not None:
            return kept
        content = conn.execute(sa.select(upload_files.c.content)
                               .where(upload_files.c.upload_id == upload_id)).scalar()
    if upload.state == "refused" or content is None:
        return None
    with tempfile.TemporaryDirectory(prefix="headcount-upload-") as folder:
        path = Path(folder) / _safe_name(upload.file_name)
        path.write_bytes(bytes(content))
        try:
            workbook = read_workbook(path, upload_limits(project.upload))
        except UploadRefused:
            return None  # the settings changed since: as refused now
    with ctx.engine.connect() as conn:
        verification = verify(conn, project, workbook)
    _keep(key, moment, verification)
    return verification


# The last verification made, with the moment of the repository it was made against.
_LAST: dict[tuple[str, int], tuple[tuple[object, ...], Verification]] = {}
_LAST_LOCK = threading.Lock()


def _repository_moment(conn: sa.Connection) -> tuple[object, ...]:
    """What changes whenever the repository does: every write to resources is part of a run
    (synchronization, policy, workflow, manual edit, resume), counted once it applied."""
    applied = sa.and_(runs_table.c.state.in_(APPLIED), runs_table.c.dry_run.is_(False))
    row = conn.execute(sa.select(sa.func.count(), sa.func.max(runs_table.c.id),
                                 sa.func.max(runs_table.c.finished_at)).where(applied)).one()
    return tuple(row)


def _kept(key: tuple[str, int], moment: tuple[object, ...]) -> Verification | None:
    with _LAST_LOCK:
        found = _LAST.get(key)
    return found[1] if found is not None and found[0] == moment else None


def _keep(key: tuple[str, int], moment: tuple[object, ...], verification: Verification
          ) -> None:
    with _LAST_LOCK:
        _LAST.clear()  # one workbook held at a time: they can be large
        _LAST[key] = (moment, verification)


def preview(ctx: ProjectContext, upload_id: int, actor: str, now: datetime | None = None
            ) -> Previewed:
    with ctx.engine.connect() as conn:
        upload = get_upload(conn, upload_id)
    return preview_verified(ctx, upload, _verified(ctx, upload), actor, now)


def load(ctx: ProjectContext, upload_id: int, actor: str, force: bool = False,
         reason: str | None = None, now: datetime | None = None) -> RunRecord:
    with ctx.engine.connect() as conn:
        upload = get_upload(conn, upload_id)
    _loadable(upload)
    # Verified again now: what the repository holds may have moved since the file came.
    return load_verified(ctx, upload, _verified(ctx, upload), actor, force, reason, now)


def _verified(ctx: ProjectContext, upload: Upload) -> Verification:
    verification = verification_of(ctx, upload.id)
    if verification is None:
        raise RunRefused(f"upload {upload.id} ({upload.file_name}) was refused: "
                         f"{upload.message or 'it could not be read'}")
    return verification


def _loadable(upload: Upload) -> None:
    if upload.state == "refused":
        raise RunRefused(f"upload {upload.id} ({upload.file_name}) was refused: {upload.message}")
    if upload.state == "errors":
        raise RunRefused(f"upload {upload.id} ({upload.file_name}) has {upload.errors:,} "
                         "errors: correct the file and upload it again")
    if upload.state in ("loaded", "blocked"):
        raise RunRefused(f"upload {upload.id} ({upload.file_name}) is loaded already (run "
                         f"{upload.run_id}, {upload.state})")
    if upload.state == "rolled back":
        raise RunRefused(f"upload {upload.id} ({upload.file_name}) was loaded and rolled back: "
                         "upload the file again to load it again")


def _check(upload: Upload, verification: Verification) -> None:
    errors = verification.errors
    if errors:
        shown = "; ".join(f"{p.where}: {p.message}" for p in errors[:3])
        more = f" (and {len(errors) - 3:,} more)" if len(errors) > 3 else ""
        raise RunRefused(f"upload {upload.id} ({upload.file_name}) has {len(errors):,} errors "
                         f"against the repository as it is now: {shown}{more}")


def _request(ctx: ProjectContext, upload: Upload, verification: Verification, actor: str,
             dry_run: bool, force: bool, reason: str | None, now: datetime | None
             ) -> SyncRequest:
    _, project = ctx.deployed()
    connector = upload_connector(project)
    said = f"upload {upload.id} by {actor}" + (f": {reason}" if reason else "")
    return SyncRequest(connector.identifier, engine_mode(verification.mode), dry_run, force,
                       said, actor, now,
                       upload_source(project, verification.tabs, verification.mode,
                                     upload.sent))


def preview_verified(ctx: ProjectContext, upload: Upload, verification: Verification,
                     actor: str, now: datetime | None = None) -> Previewed:
    """The load as a dry run, and what it would do in plain words."""
    _check(upload, verification)
    _, project = ctx.deployed()
    run = synchronize(ctx, _request(ctx, upload, verification, actor, True, False, None, now))
    with begin_write(ctx.engine) as conn:
        conn.execute(sa.update(uploads).where(uploads.c.id == upload.id)
                     .values(preview_run_id=run.id))
        changes = staged_changes(conn, run.id)
        types = sorted(set(changes.resources["entity_type"].to_list()))
        stored = {str(et): int(n) for et, n in conn.execute(
            sa.select(resources.c.entity_type, sa.func.count())
            .where(resources.c.entity_type.in_(types)).group_by(resources.c.entity_type))}
    if run.state not in APPLIED:
        raise RunRefused(f"the preview of upload {upload.id} failed (run {run.id}): "
                         f"{run.message}")
    tabs = {t.entity_type.identifier: t.tab for t in verification.tabs}
    return Previewed(run, sentences(project, changes, run, stored), per_tab(changes, tabs))


def load_verified(ctx: ProjectContext, upload: Upload, verification: Verification, actor: str,
                  force: bool = False, reason: str | None = None, now: datetime | None = None
                  ) -> RunRecord:
    """The load as a synchronization run of the upload connector; the upload follows its run."""
    _loadable(upload)
    _check(upload, verification)
    if force and not (reason or "").strip():
        raise RunRefused("a forced load needs a reason, recorded in the job result and audit "
                         "log")
    run = synchronize(ctx, _request(ctx, upload, verification, actor, False, force, reason,
                                    now))
    with begin_write(ctx.engine) as conn:
        if run.state == runs.CANCELLED:
            # Not started (the connector waits on a blocked run): the upload stays loadable.
            conn.execute(sa.update(uploads).where(uploads.c.id == upload.id)
                         .values(message=run.message))
        else:
            conn.execute(sa.update(uploads).where(uploads.c.id == upload.id).values(
                run_id=run.id, mode=verification.mode,
                state="loaded" if run.state in APPLIED else
                "blocked" if run.state == runs.BLOCKED else "failed",
                message=run.message))
        runs.audit(conn, actor, "load", f"upload {upload.id} file {upload.file_name}",
                   f"run {run.id} {run.state}" + (f": {reason}" if reason else ""))
    return run


def rollback(ctx: ProjectContext, upload_id: int, actor: str, reason: str,
             now: datetime | None = None) -> RunRecord:
    """A compensating run: what the load inserted is deleted, what it deleted comes back, what
    it changed takes its value before — through thresholds and history. Refused for a value a
    later run or person changed since, named."""
    if not reason.strip():
        raise RunRefused("a roll-back needs a reason; it is recorded in the audit log")
    with ctx.engine.connect() as conn:
        upload = get_upload(conn, upload_id)
        pending = conn.execute(sa.select(runs_table.c.state).where(
            runs_table.c.id == upload.rollback_run_id)).scalar() \
            if upload.rollback_run_id else None
    if upload.state == "rolled back":
        raise RunRefused(f"upload {upload.id} ({upload.file_name}) was rolled back already "
                         f"(run {upload.rollback_run_id})")
    if pending == runs.BLOCKED:
        raise RunRefused(f"upload {upload.id}: its roll-back (run {upload.rollback_run_id}) is "
                         "blocked: resume or cancel it")
    if upload.state != "loaded" or upload.run_id is None:
        raise RunRefused(f"upload {upload.id} ({upload.file_name}) is {upload.state}: only a "
                         "loaded upload can be rolled back")
    run = compensating_run(ctx, upload.sent, upload.run_id, actor, reason, now)
    with begin_write(ctx.engine) as conn:
        if run.state != runs.CANCELLED:
            conn.execute(sa.update(uploads).where(uploads.c.id == upload.id).values(
                rollback_run_id=run.id,
                state="rolled back" if run.state in APPLIED else upload.state,
                message=run.message))
        runs.audit(conn, actor, "rollback", f"upload {upload.id} file {upload.file_name}",
                   f"run {run.id} {run.state}: {reason}")
    return run
