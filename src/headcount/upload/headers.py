"""The first rows of an uploaded tab (SPEC §9): which entity type the tab is, which property each
header names, and where the data starts — headers in any order, " *" and case ignored, the notes
row skipped when present."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import polars as pl

from headcount.cells import formula_unsafe
from headcount.config.model import Property
from headcount.connections.reader import LINE
from headcount.upload.columns import (
    COMMAND,
    LISTS,
    NOTE_MARK,
    REQUIRED_MARK,
    Column,
    Tab,
    label,
)
from headcount.upload.sheet import Sheet
from headcount.upload.verified import Problem

# The tab and the first column of the file sent back (annotate.py): uploaded again once fixed,
# they are read past.
PROBLEMS = "Problems"
_CLOSE = 0.75  # an unknown header this close to a missing property was probably renamed


@dataclass(frozen=True)
class Header:
    text: str  # as written
    letter: str  # the column's Excel letter (the sheet frame's column name)


@dataclass(frozen=True)
class Layout:
    """A tab's headers matched to properties, and its data rows as written."""

    sheet: Sheet
    tab: Tab
    columns: dict[str, Header]  # property identifier → its header
    command: Header | None
    data: pl.DataFrame  # the rows after the header (and notes) row: letters and LINE
    problems: tuple[Problem, ...]
    unknown: tuple[Header, ...]  # headers matching nothing: where a "did you mean" looks


def tab_of(name: str, tabs: list[Tab]) -> Tab | None:
    """The tab an uploaded tab name stands for: the template's name, the entity type's display
    name or identifier, case ignored."""
    wanted = name.strip().casefold()
    for tab in tabs:
        names = {tab.name, tab.entity_type.identifier, tab.entity_type.display_name or ""}
        if wanted in {n.casefold() for n in names if n}:
            return tab
    return None


def unknown_tab(name: str, tabs: list[Tab]) -> Problem:
    close = difflib.get_close_matches(name, [t.name for t in tabs], n=1, cutoff=0.5)
    hint = f" — did you mean `{close[0]}`?" if close else \
        " — the tabs are " + ", ".join(t.name for t in tabs)
    return Problem(name, None, None, None, None,
                   f"this tab is not a type of the workforce repository{hint}")


def is_lists(name: str) -> bool:
    return name.strip().casefold() == LISTS.casefold()


def is_problems(name: str) -> bool:
    return name.strip().casefold() == PROBLEMS.casefold()


def read_layout(sheet: Sheet, tab: Tab) -> Layout:
    frame = sheet.frame
    letters = [c for c in frame.columns if c != LINE]
    if frame.height == 0:
        return Layout(sheet, tab, {}, None, frame, (), ())
    first = frame.row(0, named=True)
    data = frame.slice(1)
    if data.height and _is_notes(data.row(0, named=True), letters):
        data = data.slice(1)
    by_name: dict[str, Property] = {}
    prop: Property | None
    for prop in tab.entity_type.properties:
        by_name.setdefault(prop.identifier.casefold(), prop)
        by_name.setdefault(label(prop).casefold(), prop)
    columns: dict[str, Header] = {}
    command: Header | None = None
    unknown: list[Header] = []
    problems: list[Problem] = []
    line = int(first[LINE])
    for letter in letters:
        written = first[letter]
        if written is None:
            continue
        header = Header(written, letter)
        name = _header_name(written)
        prop = by_name.get(name.casefold())
        if is_problems(name):
            continue
        if name.casefold() == COMMAND.casefold():
            if command is not None:
                problems.append(_duplicate(sheet.name, line, header, command))
            command = header
        elif prop is None:
            unknown.append(header)
        elif prop.identifier in columns:
            problems.append(_duplicate(sheet.name, line, header, columns[prop.identifier]))
        else:
            columns[prop.identifier] = header
    missing = [c for c in tab.columns if c.prop.identifier not in columns]
    for header in unknown:
        close = difflib.get_close_matches(
            _header_name(header.text).casefold(),
            [label(c.prop).casefold() for c in missing], n=1, cutoff=_CLOSE)
        if close:
            problems.append(Problem(
                sheet.name, line, header.text, header.letter, header.text,
                f"unknown column, probably `{_label_of(close[0], missing)}` renamed: give it "
                f"its name back"))
        else:
            problems.append(Problem(
                sheet.name, line, header.text, header.letter, header.text,
                "unknown column: ignored (the columns of this tab are "
                + ", ".join(label(c.prop) for c in tab.columns) + ")", "warning"))
    return Layout(sheet, tab, columns, command, data, tuple(problems), tuple(unknown))


def missing_column(layout: Layout, prop: Property) -> Problem:
    """A key or required column the tab does not have, with the unknown header it may be."""
    texts = [h.text for h in layout.unknown]
    close = difflib.get_close_matches(label(prop), texts, n=1, cutoff=0.5)
    hint = f" — did you mean `{close[0]}`?" if close else ""
    return Problem(layout.sheet.name, None, label(prop), None, None,
                   f"the required column `{label(prop)}` is missing{hint}")


def _header_name(text: str) -> str:
    name = formula_unsafe(text.strip()).strip()
    return name.removesuffix(REQUIRED_MARK.strip()).strip()


def _label_of(folded: str, columns: list[Column]) -> str:
    return next((label(c.prop) for c in columns if label(c.prop).casefold() == folded), folded)


def _is_notes(row: dict[str, object], letters: list[str]) -> bool:
    """Row 2 is the notes row when each of its filled cells starts with the notes mark."""
    cells = [str(row[c]) for c in letters if row[c] is not None]
    return bool(cells) and all(c.startswith(NOTE_MARK.strip()) for c in cells)


def _duplicate(tab: str, line: int, header: Header, first: Header) -> Problem:
    return Problem(tab, line, header.text, header.letter, header.text,
                   f"this column appears twice (also in column {first.letter}): keep one")
