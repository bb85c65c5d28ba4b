"""The file sent back (SPEC §9): the uploaded tabs with the problems of each row in a first
column, and a note on each cell in error, for the HR operator to fix in Excel."""

from __future__ import annotations

from headcount.upload.verified import Verification


def annotated_workbook(verification: Verification) -> bytes:
    """An .xlsx of every tab read, row for row as uploaded (formula-safe), with a column
    `Problems` first, the cells in error highlighted with their message as a note."""
    raise NotImplementedError("issue 11: the file sent back")
