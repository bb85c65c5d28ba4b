"""A CSV file as one tab: the CSV connection's encoding rules (UTF-8 unless a byte order mark
says otherwise), the separator of its first line, and the cells a spreadsheet would run as
formulas."""

from __future__ import annotations

import codecs
import csv
import io
import re

from headcount.cells import FORMULA_STARTS
from headcount.upload.limits import UploadLimits, amount
from headcount.upload.refusal import UploadRefused
from headcount.upload.sheet import Sheet, column_letter, sheet_frame

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Excel writes ";" where the decimal mark is a comma, "," elsewhere; "Unicode text" uses tabs.
_SEPARATORS = (",", ";", "\t")
# A signed number, a phone number ("+33 6 12 34 56 78", "-12.5") or a lone dash (an HR export's
# "no value") is no formula: a spreadsheet shows them as they are.
_NUMBER = re.compile(r"[+-]?(?:[0-9][0-9 .]*(?:,[0-9]+)?)?")


def encoding_of(data: bytes) -> str:
    """The encoding a byte order mark gives, UTF-8 without one (as the CSV connection reads)."""
    return next((encoding for bom, encoding in _BOMS if data.startswith(bom)), "utf-8")


def read_csv_text(sheet: str, data: bytes, limits: UploadLimits) -> tuple[Sheet, str]:
    """The CSV bytes as a tab named `sheet`, and the encoding they were read in. Refused with the
    tab's name as the file: the caller names the file it came from. Of the limits, the rows,
    columns and cells apply."""
    max_rows = limits.max_rows
    file = sheet
    encoding = encoding_of(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UploadRefused(file, f"line {line} is not UTF-8 text: in Excel, save the file as "
                            "\"CSV UTF-8\" and upload it again") from None
    if "\x00" in text:
        raise UploadRefused(file, "the file holds binary data, not CSV text")
    separator = _separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=False)
    rows: list[list[str]] = []
    lines: list[int] = []
    formulas: list[tuple[int, str]] = []
    end = 0
    try:
        for record in reader:
            line, end = end + 1, reader.line_num
            if not record:
                continue
            if len(rows) >= max_rows:
                raise UploadRefused(file, f"the file has more than {max_rows:,} rows, the most "
                                    "an upload may have: split it")
            if len(record) > limits.max_columns:
                raise UploadRefused(file, f"the record on line {line} has {len(record):,} "
                                    f"fields, more than the {limits.max_columns:,} columns an "
                                    "upload may have: is the separator right, and are the "
                                    "columns after your data empty? Delete them")
            rows.append(record)
            lines.append(line)
            formulas.extend((line, column_letter(index)) for index, value in enumerate(record)
                            if value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value))
    except csv.Error as exc:
        raise UploadRefused(file, f"the record starting on line {end + 1} cannot be read as "
                            f"CSV ({exc})") from None
    width = max(map(len, rows), default=0)
    if width * len(rows) > limits.max_cells:
        # Short rows are filled with empty cells: one wide row makes every row as wide.
        raise UploadRefused(file, f"{len(rows):,} rows of up to {width:,} columns make "
                            f"{amount(width * len(rows))} cells, more than the "
                            f"{amount(limits.max_cells)} an upload may hold: delete the empty "
                            "columns after your data, or split the file")
    # A short row (a ragged CSV) ends with empty cells.
    columns = [[row[i] if i < len(row) else None for row in rows] for i in range(width)]
    return Sheet(sheet, sheet_frame(columns, lines), tuple(formulas)), encoding


def _separator(text: str) -> str:
    # Only a suggestion read from the header line: the separator it holds most of.
    first = text.split("\n", 1)[0]
    return max(_SEPARATORS, key=first.count)
