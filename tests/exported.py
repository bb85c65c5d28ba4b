"""A list's export read back (issue 12): the cells of a CSV (UTF-8 with its BOM) or of an XLSX
(openpyxl), in which no cell may be a formula."""

from __future__ import annotations

import csv
import io

import openpyxl


def export_table(content: bytes, fmt: str) -> list[list[object]]:
    """The rows of an export, its header first; an empty XLSX cell reads ""."""
    if fmt == "csv":
        return [list(r) for r in csv.reader(io.StringIO(content.decode("utf-8-sig")))]
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row), "a formula cell"
    return [["" if c.value is None else c.value for c in row] for row in sheet.iter_rows()]
