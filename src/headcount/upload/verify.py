"""Verify (SPEC §9): every error of an uploaded workbook at once, by tab, row and column."""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa

from headcount.config.model import Project
from headcount.connections.reader import LINE
from headcount.upload.checks import check
from headcount.upload.columns import COMMAND, Tab, upload_connector, upload_tabs
from headcount.upload.headers import (
    Layout,
    is_lists,
    is_problems,
    missing_column,
    read_layout,
    tab_of,
    unknown_tab,
)
from headcount.upload.resolve import COMMAND as RESOLVED_COMMAND
from headcount.upload.resolve import Resolved, key_of, resolve
from headcount.upload.scope import Scope
from headcount.upload.stored import KEY, holds_resources, stored_frame
from headcount.upload.verified import Mode, Problem, TabData, Verification
from headcount.upload.workbook import Workbook


def verify(conn: sa.Connection, project: Project, workbook: Workbook) -> Verification:
    """Match tabs and headers, resolve each row against the repository (Modify rows and absent
    columns take the stored values), check keys, references, required values, types and dates,
    end dates of fixed-term contracts, organization managers, unique values (SPEC §6.5) and
    overlapping records; never writes."""
    connector = upload_connector(project)
    described = upload_tabs(project)
    problems: list[Problem] = []
    ignored: list[tuple[str, str]] = []
    layouts: list[Layout] = []
    seen: dict[str, str] = {}
    for sheet in workbook.sheets:
        if is_lists(sheet.name):
            ignored.append((sheet.name, "the drop-down lists of the template"))
            continue
        if is_problems(sheet.name):
            ignored.append((sheet.name, "the problems found by an earlier verify"))
            continue
        tab = tab_of(sheet.name, described)
        if tab is None:
            problems.append(unknown_tab(sheet.name, described))
            continue
        if tab.entity_type.identifier in seen:
            problems.append(Problem(sheet.name, None, None, None, None,
                                    f"a second tab of {tab.name} (the first is "
                                    f"{seen[tab.entity_type.identifier]}): put its rows in one"))
            continue
        seen[tab.entity_type.identifier] = sheet.name
        layout = read_layout(sheet, tab)
        if layout.data.height == 0:
            ignored.append((sheet.name, "no rows: nothing changes in "
                            f"{tab.name} (an empty tab never deletes anything)"))
            continue
        layouts.append(layout)
    mode = _mode(conn, project, layouts)
    stored = {et.identifier: stored_frame(conn, et) for et in connector.entity_types}
    resolved: list[Resolved] = []
    for layout in layouts:
        problems += layout.problems
        problems += _missing(layout, mode)
        if _key(layout.tab) not in layout.columns or \
                (mode == "update" and layout.command is None):
            continue
        rows = resolve(layout, stored[layout.tab.entity_type.identifier])
        problems += rows.problems
        resolved.append(rows)
    keys = {et: set(frame[KEY].to_list()) for et, frame in stored.items()}
    scope = Scope(project, mode, resolved, stored, lambda et: keys.get(et, set()))
    problems += check(scope, described)
    order = {sheet.name: n for n, sheet in enumerate(workbook.sheets)}
    problems.sort(key=lambda p: (order.get(p.tab, 0), p.row or 0, _column_index(p.letter),
                                 p.severity != "error"))
    return Verification(workbook, mode, tuple(_tab_data(t, problems) for t in resolved),
                        tuple(problems), tuple(ignored))


def _mode(conn: sa.Connection, project: Project, layouts: list[Layout]) -> Mode:
    if any(layout.command is not None for layout in layouts):
        return "update"
    return "complete" if holds_resources(conn, upload_connector(project)) else "initial"


def _missing(layout: Layout, mode: Mode) -> list[Problem]:
    """The key column, always; in a mass update a required column may be left out (the rows
    keep their stored values), elsewhere it is an error. A mass update needs its commands."""
    problems = []
    if mode == "update" and layout.command is None:
        problems.append(Problem(layout.sheet.name, None, COMMAND, None, None,
                                f"the column {COMMAND} is missing: in a mass update every tab "
                                f"says, row by row, Add, Modify, Delete or Merge"))
    key = _key(layout.tab)
    for column in layout.tab.columns:
        name = column.prop.identifier
        if name in layout.columns or not (name == key or (column.required and mode != "update")):
            continue
        problems.append(missing_column(layout, column.prop))
    return problems


def _key(tab: Tab) -> str:
    return key_of(tab.entity_type)


def _tab_data(tab: Resolved, problems: list[Problem]) -> TabData:
    wrong = [p.row for p in problems if p.tab == tab.name and p.row is not None
             and p.severity == "error"]
    et = tab.entity_type
    frame = tab.frame.filter(~pl.col(LINE).is_in(wrong)).select(
        LINE, pl.col(RESOLVED_COMMAND).alias(COMMAND), *(p.identifier for p in et.properties))
    return TabData(tab.name, et, {p: h.text for p, h in tab.layout.columns.items()}, frame,
                   tab.read)


def _column_index(letter: str | None) -> int:
    if letter is None:
        return -1
    index = 0
    for char in letter:
        index = index * 26 + ord(char) - ord("A") + 1
    return index

