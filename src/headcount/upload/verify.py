"""Verify (SPEC §9): every error of an uploaded workbook at once, by tab, row and column."""

from __future__ import annotations

import sqlalchemy as sa

from headcount.config.model import Project
from headcount.upload.verified import Verification
from headcount.upload.workbook import Workbook


def verify(conn: sa.Connection, project: Project, workbook: Workbook) -> Verification:
    """Match tabs and headers, resolve each row against the repository (Modify rows and absent
    columns take the stored values), check keys, references, required values, types and dates,
    end dates of fixed-term contracts, organization managers, unique values (SPEC §6.5) and
    overlapping records; never writes."""
    raise NotImplementedError("issue 11: verify")
