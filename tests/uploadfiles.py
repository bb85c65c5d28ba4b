"""Files for the upload tests: workbooks written with XlsxWriter, and the same with one part
replaced or added, the way a hostile file is built."""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path

import pytest
import xlsxwriter

from headcount.upload.workbook import UploadLimits, UploadRefused, read_workbook

Value = str | int | float | bool | date | datetime | None

# A shared-strings part whose one string is an external entity: the file it names would be read
# into the workbook by a parser that resolves entities (XXE).
EXTERNAL_ENTITY = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
                   b'<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
                   b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                   b'count="1" uniqueCount="1"><si><t>&xxe;</t></si></sst>')


def write_xlsx(path: Path, tabs: Mapping[str, Sequence[Sequence[Value]]],
               hidden: Sequence[str] = ()) -> Path:
    """A workbook with one tab per entry, rows from A1; dates formatted as Excel dates."""
    book = xlsxwriter.Workbook(str(path))
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    instant = book.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    for name, rows in tabs.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, str):
                    sheet.write_string(r, c, value)
                elif isinstance(value, bool):
                    sheet.write_boolean(r, c, value)
                elif isinstance(value, datetime):
                    sheet.write_datetime(r, c, value, instant)
                elif isinstance(value, date):
                    sheet.write_datetime(r, c, value, day)
                else:
                    sheet.write_number(r, c, value)
        if name in hidden:
            sheet.hide()
    book.close()
    return path


def rewrite_zip(source: Path, target: Path, replace: Mapping[str, bytes]) -> Path:
    """A copy of the zip at `source` with the members of `replace` replaced or added."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for member in old.infolist():
            if member.filename not in replace:
                new.writestr(member, old.read(member))
        for name, data in replace.items():
            new.writestr(name, data)
    return target


def zip_of(path: Path, members: Mapping[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def sheet_xml(cells: Sequence[tuple[str | None, str]], dimension: str | None = None,
              rows_numbered: bool = True) -> bytes:
    """A worksheet part of text cells, each (reference, text) in order; a cell without a
    reference (None) takes the next position, as a row without a number does."""
    rows: dict[int, list[tuple[str | None, str]]] = {}
    for reference, text in cells:
        row = int("".join(c for c in reference if c.isdigit())) if reference else 1
        rows.setdefault(row, []).append((reference, text))
    body = "".join(
        (f'<row r="{row}">' if rows_numbered else "<row>") + "".join(
            (f'<c r="{reference}" t="inlineStr">' if reference else '<c t="inlineStr">')
            + f"<is><t>{text}</t></is></c>" for reference, text in found) + "</row>"
        for row, found in sorted(rows.items()))
    size = f'<dimension ref="{dimension}"/>' if dimension else ""
    return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
            f'.org/spreadsheetml/2006/main">{size}<sheetData>{body}</sheetData></worksheet>'
            ).encode()


def hostile_xlsx(path: Path, sheets: Sequence[bytes],
                 replace: Mapping[str, bytes] | None = None, names: Sequence[str] = ()) -> Path:
    """A workbook of tabs People, People 2, … (or `names`) whose worksheet parts are `sheets`,
    with `replace` replaced or added."""
    tabs = list(names) or ["People"] + [f"People {i}" for i in range(2, len(sheets) + 1)]
    clean = write_xlsx(path.with_name("clean-" + path.name), {tab: [["Key"]] for tab in tabs})
    parts = {f"xl/worksheets/sheet{i}.xml": sheet for i, sheet in enumerate(sheets, 1)}
    return rewrite_zip(clean, path, {**parts, **(replace or {})})


def refusal(path: Path, limits: UploadLimits | None = None) -> str:
    """The refusal of `path`, which must name the file."""
    with pytest.raises(UploadRefused) as caught:
        read_workbook(path, limits or UploadLimits())
    assert caught.value.file == path.name
    return str(caught.value)
