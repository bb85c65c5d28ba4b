"""How far a worksheet part reaches, read from its XML before python-calamine opens it: calamine
holds the whole grid from A1 to the last used cell, so two cells, A1 and XFD60000, cost it
31 GB. The part's `<dimension ref>`, its rows' `r` and its cells' `r` (a row or cell without
one takes the next position, as Excel reads it) give the last row and column."""

from __future__ import annotations

import re
from dataclasses import dataclass

from headcount.upload.sheet import column_letter

# Excel's last row and column (XFD).
MAX_ROW = 1_048_576
MAX_COLUMN = 16_384

_PREFIX = rb"<(?:[A-Za-z_][\w.-]*:)?"
_DIMENSION = re.compile(_PREFIX + rb'dimension\s[^>]*?\bref="([^"]*)"')
_ROW = re.compile(_PREFIX + rb"row\b([^>]*)>")
# A cell's start tag (`c` then a space, `>` or `/`: never <col> or <cfRule>).
_CELL_TAG = re.compile(_PREFIX + rb"c[\s>/]")
_PREFIXED = re.compile(rb"<[A-Za-z_][\w.-]*:worksheet[\s>]")
_FIRST_REF = re.compile(rb'<c r="([A-Za-z]+)')
_FIRST_ROW = re.compile(rb'<row r="([0-9]+)"')
_DIGITS = "0123456789"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ROW_OR_CELL = re.compile(_PREFIX + rb"(row|c)(?=[\s>/])([^>]*)>")
_R = re.compile(rb'\br="([A-Za-z]*)([0-9]+)"')
_REFERENCE = re.compile(r"\$?([A-Za-z]{1,4})?\$?([0-9]+)?")


@dataclass(frozen=True)
class Extent:
    """The last row and column (1-based) a worksheet uses or declares."""

    rows: int
    columns: int

    @property
    def cells(self) -> int:
        return self.rows * self.columns

    @property
    def corner(self) -> str:
        """The last cell, as Excel names it: XFD60000."""
        return f"{column_letter(max(self.columns, 1) - 1)}{max(self.rows, 1)}"


def column_number(letters: str) -> int:
    """The 1-based number of a column's letters: A → 1, XFD → 16,384."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def sheet_extent(data: bytes) -> Extent:
    """The extent of a worksheet part (its XML, checked for entity declarations before)."""
    rows, columns = _dimension(data)
    # Excel and the libraries we know write the dimension and `r` first on every row and cell:
    # then two searches, for a row or cell without `r` and for one beyond the dimension, are
    # enough (walking the bench's million cells costs seconds).
    if rows and columns and _odd_rows(rows).search(data) is None \
            and _odd_cells(rows, columns).search(data) is None:
        return Extent(rows, columns)
    numbered = _FIRST_ROW.findall(data)
    if len(numbered) == data.count(b"<row ") + data.count(b"<row>"):
        rows = max(rows, max(map(int, numbered), default=0))
    else:
        for attributes in _ROW.findall(data):
            found = _R.search(attributes)
            rows = max(rows, int(found.group(2)) if found else 0)
    cells = len(_CELL_TAG.findall(data)) if _PREFIXED.search(data, 0, 4096) \
        else data.count(b"<c ") + data.count(b"<c>") + data.count(b"<c/>")
    if data.count(b'<c r="') == cells and _cells_below(rows).search(data) is None:
        letters = set(_FIRST_REF.findall(data))
        last = max((column_number(letter.decode("ascii")) for letter in letters), default=0)
        return Extent(rows, max(columns, last))
    positions = _positions(data)
    return Extent(max(rows, positions.rows), max(columns, positions.columns))


def _odd_rows(rows: int) -> re.Pattern[bytes]:
    """A row without `r` first, or after row `rows`."""
    return re.compile(rb'<row(?:[>/]|\s(?!r=")|\sr="(?:' + _greater(str(rows), _DIGITS) + rb')")')


def _odd_cells(rows: int, columns: int) -> re.Pattern[bytes]:
    """A cell without `r` first, naming its column in lower case, after column `columns` or
    after row `rows` (one pattern: each search visits every cell)."""
    after_column = _greater(column_letter(columns - 1), _LETTERS)
    after_row = _greater(str(rows), _DIGITS)
    return re.compile(rb'<c(?:[>/]|\s(?!r=")|\sr="(?:(?:' + after_column
                      + rb')[0-9]|[A-Z]*[a-z]|[A-Z]+(?:' + after_row + rb')"))')


def _cells_below(rows: int) -> re.Pattern[bytes]:
    return re.compile(rb'<c r="[A-Za-z]+(?:' + _greater(str(rows), _DIGITS) + rb')"')


def _greater(text: str, alphabet: str) -> bytes:
    """A pattern matching the words of `alphabet` after `text`: longer, or as long and greater
    at their first difference."""
    last = alphabet[-1]
    longer = f"[{alphabet[0]}-{last}]{{{len(text) + 1},}}"
    same = [f"{text[:i]}[{alphabet[alphabet.index(c) + 1]}-{last}][{alphabet[0]}-{last}]"
            f"{{{len(text) - i - 1}}}" for i, c in enumerate(text) if c != last]
    return "|".join([longer, *same]).encode("ascii")


def _dimension(data: bytes) -> tuple[int, int]:
    found = _DIMENSION.search(data)
    if found is None:
        return 0, 0
    last = found.group(1).decode("ascii", "replace").split(":")[-1]
    parts = _REFERENCE.fullmatch(last)
    if parts is None:
        return 0, 0
    letters, row = parts.groups()
    return int(row) if row else 0, column_number(letters) if letters else 0


def _positions(data: bytes) -> Extent:
    """The extent walking row by row, cell by cell: a row or cell without `r` is the one after
    the previous."""
    row = column = last_row = last_column = 0
    for tag, attributes in _ROW_OR_CELL.findall(data):
        found = _R.search(attributes)
        if tag == b"row":
            row = int(found.group(2)) if found else row + 1
            column = 0
        elif found and found.group(1):
            column = column_number(found.group(1).decode("ascii"))
            row = max(row, int(found.group(2)))
        else:
            column += 1
        last_row, last_column = max(last_row, row), max(last_column, column)
    return Extent(last_row, last_column)
