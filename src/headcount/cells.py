"""Cells that spreadsheets cannot execute (SPEC §13): every CSV or workbook people download goes
through `formula_safe`, whatever stage writes it."""

from __future__ import annotations

# A spreadsheet runs a cell starting with one of these as a formula (tab and CR too: some strip
# them first, then see the = behind).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: object) -> str:
    """The value as text, with a leading apostrophe when a spreadsheet would run it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
