"""One tab of an uploaded workbook as a table of text: columns named by their Excel letters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from headcount.connections.reader import LINE


@dataclass(frozen=True)
class Sheet:
    name: str
    # Columns "A", "B", … as text (None for an empty cell), plus LINE: the row number Excel shows.
    frame: pl.DataFrame
    # (row, column letter) of the cells holding a formula: their cached value is in `frame`.
    formulas: tuple[tuple[int, str], ...] = ()


def column_letter(index: int) -> str:
    """The Excel letter of a 0-based column: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def cell_list(cells: Sequence[tuple[int, str]], shown: int = 5) -> str:
    """The first cells as Excel names them ("T2, T3 …") for a message."""
    text = ", ".join(f"{column}{row}" for row, column in sorted(cells)[:shown])
    return text + (" …" if len(cells) > shown else "")


def cell_name(sheet: Sheet, row: int, column: str) -> str:
    """Where a cell is, for a message: `tab Site, row 3, column Name (B)` — its header is the
    text of the tab's first row in that column."""
    header = sheet.frame[column][0] if sheet.frame.height and column in sheet.frame.columns \
        else None
    named = f"{header} ({column})" if header and sheet.frame[LINE][0] != row else column
    return f"tab {sheet.name}, row {row}, column {named}"


def sheet_frame(columns: Sequence[Sequence[str | None]], lines: Sequence[int]) -> pl.DataFrame:
    """The columns (each as long as `lines`, the row numbers Excel shows) as a frame of text: an
    empty text is an empty cell, and rows without any value and the empty columns to the right of
    the last value are dropped."""
    names = [column_letter(i) for i in range(len(columns))]
    frame = pl.DataFrame(
        [pl.Series(name, column, dtype=pl.String) for name, column in zip(
            names, columns, strict=True)] + [pl.Series(LINE, lines, dtype=pl.Int64)])
    frame = frame.with_columns(pl.when(pl.col(n) != "").then(pl.col(n)).alias(n) for n in names)
    filled = [n for n in names if frame[n].null_count() < frame.height]
    names = names[: names.index(filled[-1]) + 1] if filled else []
    frame = frame.select(*names, LINE)
    return frame.filter(pl.any_horizontal(pl.col(names).is_not_null())) if names \
        else frame.clear()
