"""Cells that spreadsheets cannot execute (SPEC §13): every CSV or workbook people download goes
through `formula_safe`, whatever stage writes it."""

from __future__ import annotations

# A spreadsheet runs a cell starting with one of these as a formula (tab and CR too: some strip
# them first, then see the = behind; and the full-width ＝ ＋ － ＠, which East Asian input
# methods type and some spreadsheets read as their ASCII look-alikes).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def formula_safe(value: object) -> str:
    """The value as text, with a leading apostrophe when a spreadsheet would run it."""
    text = "" if value is None else str(value)
    # A text that already reads as an escaped formula ('=1) is escaped once more, so that
    # `formula_unsafe` gives every text back as it was.
    return "'" + text if text.lstrip("'").startswith(FORMULA_STARTS) else text


def formula_unsafe(text: str) -> str:
    """A cell read back as its value: the one apostrophe `formula_safe` put before a formula
    start is taken off (an apostrophe before anything else is the person's own)."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS):
        return text[1:]
    return text
