"""A hand-built upload and its verification, for the tests of the pages that show them: the
page is tested on exactly the problems it is given, whatever verify finds in a real file."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl

from headcount.config.model import Project
from headcount.connections.reader import LINE, SourceFile
from headcount.upload.columns import upload_tabs
from headcount.upload.uploads import Upload
from headcount.upload.verified import Problem, TabData, Verification
from headcount.upload.workbook import Sheet, Workbook

PROBLEMS = (
    Problem("Identity record", 4, "ContractStartDate", "C", "31/02/2026",
            "`31/02/2026` is not a date: write DD/MM/YYYY, e.g. 28/02/2026"),
    Problem("Identity record", 5, "User", "B", "E99999",
            "no Identity has the key `E99999`, in the file or the repository"),
    Problem("Identity record", None, "Phone", "H", None,
            "column Phone ignored: no such property", "warning"),
)


def hand_built_upload(**changes: Any) -> Upload:
    """Upload 7, `workforce.xlsx` sent by hr, with two errors and a warning unless changed."""
    values: dict[str, Any] = dict(
        id=7, file_name="workforce.xlsx", size=1234, sha256="ab" * 32, uploaded_by="hr",
        uploaded_at=datetime(2026, 11, 30, 8, 0, tzinfo=UTC), state="errors", mode="complete",
        errors=2, warnings=1, preview_run_id=None, run_id=None, rollback_run_id=None,
        message=None)
    return Upload(**{**values, **changes})


def hand_built_verification(project: Project, problems: tuple[Problem, ...] = PROBLEMS
                            ) -> Verification:
    """A workbook whose tab Identity record has a header, a notes row and three rows, and the
    `Lists` tab left alone."""
    frame = pl.DataFrame({
        "A": ["RecordIdentifier *", "↳ text", "R1", "R2", "R3"],
        "B": ["User *", "↳ key", "E00001", "E00002", "E99999"],
        "C": ["ContractStartDate *", "↳ date", "2026-01-01", "31/02/2026", "2026-03-01"],
        LINE: [1, 2, 3, 4, 5]}, schema_overrides={LINE: pl.Int64})
    workbook = Workbook(SourceFile("upload", "workforce.xlsx", 1234, "ab" * 32, 5, "xlsx"),
                        (Sheet("Identity record", frame), Sheet("Lists", frame.clear())))
    records = next(t for t in upload_tabs(project) if t.name == "Identity record")
    tab = TabData("Identity record", records.entity_type, {}, pl.DataFrame(), 3)
    return Verification(workbook, "complete", (tab,), problems,
                        (("Lists", "the template's lists"),))
