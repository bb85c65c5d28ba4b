"""Uploads as a list (SPEC §9): each file kept with its checksum, who sent it, its verification
and the runs it gave — preview, load, roll-back — through the same engine as HR files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa

from headcount.project import ProjectContext
from headcount.repository.runs import RunRecord
from headcount.upload.verified import Verification

# refused: not read (size, zip bomb, macros… — `message` says why); errors: read, verify found
# errors; verified: ready to preview or load; loaded; blocked: its load crossed a threshold
# (the run waits for a resume); rolled back; failed: its load failed (`message`).
State = Literal["refused", "errors", "verified", "loaded", "blocked", "rolled back", "failed"]


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
    raise NotImplementedError("issue 11: uploads")


def list_uploads(conn: sa.Connection, limit: int = 50, offset: int = 0) -> list[Upload]:
    raise NotImplementedError("issue 11: uploads")


def get_upload(conn: sa.Connection, upload_id: int) -> Upload:
    raise NotImplementedError("issue 11: uploads")


def verification_of(ctx: ProjectContext, upload_id: int) -> Verification | None:
    """The upload's verification against the repository as it is now; None for a refused file."""
    raise NotImplementedError("issue 11: uploads")


def preview(ctx: ProjectContext, upload_id: int, actor: str, now: datetime | None = None
            ) -> Previewed:
    raise NotImplementedError("issue 11: preview")


def load(ctx: ProjectContext, upload_id: int, actor: str, force: bool = False,
         reason: str | None = None, now: datetime | None = None) -> RunRecord:
    raise NotImplementedError("issue 11: load")


def rollback(ctx: ProjectContext, upload_id: int, actor: str, reason: str,
             now: datetime | None = None) -> RunRecord:
    """A compensating run: what the load inserted is deleted, what it deleted comes back, what
    it changed takes its value before — through thresholds and history. Refused for a value a
    later run or person changed since, named."""
    raise NotImplementedError("issue 11: roll back")
