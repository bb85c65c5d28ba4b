"""Exports of a list (issue 12): the rows a page's filters select, all of them (not one page), as
CSV or XLSX. Every text cell is made formula-safe (headcount/cells.py): a value an HR file or a
person typed (`=HYPERLINK(…)`, `+1…`, `@SUM…`) opens in a spreadsheet as text, never as a formula.

One interface for every list: `export_response(title, headers, rows, fmt)`."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import xlsxwriter
from fastapi.responses import Response

from headcount.cells import formula_safe


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Excel's limit; beyond it a list is exported as CSV.
XLSX_MAX_ROWS = 1_048_575


def file_name(title: str, fmt: ExportFormat) -> str:
    """A download name from a list's title: letters, digits, - and _ only."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", title).strip("-") or "export"
    return f"{stem[:80]}.{fmt.value}"


def _text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return formula_safe(", ".join(str(v) for v in value))
    return formula_safe(str(value))


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM, so that Excel reads accents right when the file is double-clicked."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_text(h) for h in headers])
    for row in rows:
        writer.writerow([_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """One sheet, bold frozen headers, an autofilter; texts written as strings (never parsed as
    formulas or numbers by XlsxWriter)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})
    sheet = book.add_worksheet(re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Export")
    bold = book.add_format({"bold": True})
    for col, header in enumerate(headers):
        sheet.write_string(0, col, str(header), bold)
    n = 0
    for n, row in enumerate(rows, start=1):
        if n > XLSX_MAX_ROWS:
            break
        for col, value in enumerate(row):
            cell = _text(value)
            if isinstance(cell, int | float) and not isinstance(cell, bool):
                sheet.write_number(n, col, cell)
            else:
                sheet.write_string(n, col, str(cell))
    sheet.freeze_panes(1, 0)
    if headers:
        sheet.autofilter(0, 0, max(n, 1), len(headers) - 1)
    book.close()
    return buffer.getvalue()


def export_response(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]],
                    fmt: ExportFormat | str) -> Response:
    """The download of a list: `title` names the file (and the XLSX sheet)."""
    chosen = ExportFormat(fmt)
    content = (csv_bytes(headers, rows) if chosen is ExportFormat.CSV
               else xlsx_bytes(title, headers, rows))
    return Response(content, media_type=MEDIA_TYPES[chosen], headers={
        "Content-Disposition": f'attachment; filename="{file_name(title, chosen)}"'})
