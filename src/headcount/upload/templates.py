"""Upload templates (SPEC §9): a workbook with a tab per entity type of the Directory connector —
headers with the required ones marked, a notes row, drop-down lists, frozen header — empty, or
full of the current data for a mass update; as XLSX, or as a zip of one CSV per tab.

Every text goes through `formula_safe` (SPEC §13): a download never carries a live formula."""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, BinaryIO, Literal

import sqlalchemy as sa
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from headcount.cells import formula_safe
from headcount.config.model import Project, PropertyType
from headcount.repository.bulk import raw_rows
from headcount.repository.schema import links, resources
from headcount.upload.columns import (
    COMMAND,
    COMMANDS,
    EMPTIES,
    LISTS,
    MULTIVALUE_SEPARATOR,
    NOTE_MARK,
    Column,
    Tab,
    upload_tabs,
)

Kind = Literal["empty", "full"]
Format = Literal["xlsx", "csv-zip"]
Row = list[Any]
_LAST_ROW = 1_048_575  # Excel's last row (0-based): the drop-downs cover every row to come
_DATA_ROW = 2
_WIDTH_SAMPLE = 1000  # rows looked at to size a column
_MIN_WIDTH, _MAX_WIDTH = 10, 48
_COMMAND_NOTE = f"{NOTE_MARK}one of: {', '.join(COMMANDS)}; {EMPTIES} in a cell empties it"
_BOOLS = ["true", "false"]


def write_template(conn: sa.Connection, project: Project, out: BinaryIO, kind: Kind = "empty",
                   fmt: Format = "xlsx", command_column: bool = False) -> None:
    """Writes the template of the project's Directory connector to `out`: `full` holds one row
    per resource, its navigations as the keys of their targets; `command_column` puts the mass
    update's `Command` column first."""
    tabs = upload_tabs(project)
    lists = _lists(conn, tabs)
    rows = {tab.name: _rows(conn, tab) if kind == "full" else [] for tab in tabs}
    if fmt == "xlsx":
        _write_xlsx(out, tabs, lists, rows, command_column)
    else:
        _write_csv_zip(out, tabs, lists, rows, command_column)


def _lists(conn: sa.Connection, tabs: Sequence[Tab]) -> dict[str, list[str]]:
    """The drop-down sources, by Lists column: the keys of each referenced tab's resources (from
    the repository), and each enum's values."""
    out: dict[str, list[str]] = {}
    by_type = {tab.entity_type.identifier: tab for tab in tabs}
    for tab in tabs:
        for column in tab.columns:
            if column.list_name is None or column.list_name in out:
                continue
            if column.prop.is_navigation:
                target = by_type[str(column.prop.target)].entity_type.identifier
                out[column.list_name] = [str(k) for (k,) in raw_rows(conn, sa.select(
                    resources.c.key).where(resources.c.entity_type == target)
                    .order_by(resources.c.key))]
            else:
                out[column.list_name] = list(column.prop.values or [])
    return out


def _rows(conn: sa.Connection, tab: Tab) -> list[Row]:
    """One row per resource of the tab, in key order, read set-wise: the resources, then all
    their links at once."""
    et = tab.entity_type.identifier
    targets: dict[str, dict[str, list[str]]] = {}
    for key, navigation, target in raw_rows(conn, sa.select(
            resources.c.key, links.c.navigation, links.c.target_key)
            .join(resources, resources.c.id == links.c.source_id)
            .where(resources.c.entity_type == et).order_by(links.c.target_key)):
        targets.setdefault(navigation.partition(".")[2], {}).setdefault(key, []).append(target)
    # Per column, where its cells come from: the joined keys of a navigation, or a value.
    sources = [({key: MULTIVALUE_SEPARATOR.join(keys) for key, keys in
                 targets.get(c.prop.identifier, {}).items()} if c.prop.is_navigation else None,
                c.prop.identifier) for c in tab.columns]
    rows = []
    for key, data in raw_rows(conn, sa.select(resources.c.key, resources.c.data)
                              .where(resources.c.entity_type == et).order_by(resources.c.key)):
        values = json.loads(data)
        rows.append([values.get(name) if joined is None else joined.get(key)
                     for joined, name in sources])
    return rows


def _write_xlsx(out: BinaryIO, tabs: Sequence[Tab], lists: dict[str, list[str]],
                rows: dict[str, list[Row]], command: bool) -> None:
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_numbers": False, "strings_to_urls": False})
    formats = _Formats(book)
    sources = _list_sources(lists)
    for tab in tabs:
        sheet = book.add_worksheet(tab.name)
        offset = 1 if command else 0
        if command:
            sheet.write_string(0, 0, COMMAND, formats.optional)
            sheet.write_string(1, 0, _COMMAND_NOTE, formats.note)
            sheet.data_validation(_DATA_ROW, 0, _LAST_ROW, 0, {
                "validate": "list", "source": list(COMMANDS),
                "error_title": COMMAND, "error_message": "One of: " + ", ".join(COMMANDS)})
            sheet.set_column(0, 0, 12)
        data = rows[tab.name]
        sheet.set_row(1, 15 * _note_lines(tab))
        for index, column in enumerate(tab.columns):
            at = index + offset
            sheet.write_string(0, at, formula_safe(column.header),
                               formats.required if column.required else formats.optional)
            sheet.write_string(1, at, formula_safe(column.note), formats.note)
            _validate(sheet, at, column, sources, lists)
            sheet.set_column(at, at, _width(column, data, index))
        # Each column's writer chosen once: per cell, only XlsxWriter's own work is left.
        writers = [(at, _cell_writer(sheet, column, formats))
                   for at, column in enumerate(tab.columns, offset)]
        for number, row in enumerate(data, _DATA_ROW):
            for (at, write), value in zip(writers, row, strict=True):
                if value is not None and value != "":
                    write(number, at, value)
        keys = sum(1 for c in tab.columns if c.prop.identifier in tab.entity_type.keys)
        sheet.freeze_panes(_DATA_ROW, offset + keys)
    _write_lists(book, lists, formats)
    book.close()


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        border = {"bold": True, "bottom": 1, "valign": "top"}
        self.required = book.add_format({**border, "font_color": "#9C2A00",
                                         "bg_color": "#FDE9D9"})
        self.optional = book.add_format({**border, "bg_color": "#EDEDED"})
        self.note = book.add_format({"italic": True, "font_color": "#595959",
                                     "text_wrap": True, "valign": "top"})
        self.date = book.add_format({"num_format": "dd/mm/yyyy"})
        self.datetime = book.add_format({"num_format": "dd/mm/yyyy hh:mm"})


def _cell_writer(sheet: Any, column: Column, formats: _Formats
                 ) -> Callable[[int, int, Any], None]:
    """How a column's stored values go into cells: dates as Excel dates, numbers as numbers,
    the rest as inert text."""
    kind = column.prop.type

    def text(row: int, col: int, value: Any) -> None:
        sheet.write_string(row, col, formula_safe(value))

    def day(row: int, col: int, value: Any) -> None:
        try:
            sheet.write_datetime(row, col, date.fromisoformat(str(value)), formats.date)
        except ValueError:
            text(row, col, value)

    def instant(row: int, col: int, value: Any) -> None:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            text(row, col, value)
            return
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        sheet.write_datetime(row, col, moment, formats.datetime)

    def number(row: int, col: int, value: Any) -> None:
        try:
            figure = float(value) if kind is PropertyType.DECIMAL else int(value)
        except ValueError:
            text(row, col, value)
            return
        if isinstance(figure, float) and not math.isfinite(figure):
            text(row, col, value)
            return
        sheet.write_number(row, col, figure)

    def boolean(row: int, col: int, value: Any) -> None:
        text(row, col, str(value).lower() if isinstance(value, bool) else value)

    return {PropertyType.DATE: day, PropertyType.DATETIME: instant, PropertyType.INT: number,
            PropertyType.DECIMAL: number, PropertyType.BOOL: boolean}.get(kind, text)


def _list_sources(lists: dict[str, list[str]]) -> dict[str, str]:
    """Each Lists column as a range: a reference may have thousands of targets, and an inline
    list stops at Excel's 255 characters."""
    return {name: f"='{LISTS}'!${xl_col_to_name(index)}$2:${xl_col_to_name(index)}"
                  f"${len(values) + 1}"
            for index, (name, values) in enumerate(lists.items())}


def _validate(sheet: Any, at: int, column: Column, sources: dict[str, str],
              lists: dict[str, list[str]]) -> None:
    if column.prop.type is PropertyType.BOOL:
        sheet.data_validation(_DATA_ROW, at, _LAST_ROW, at, {
            "validate": "list", "source": _BOOLS, "error_title": column.prop.identifier,
            "error_message": "true or false"})
        return
    if column.list_name is None or not lists[column.list_name]:
        return
    options: dict[str, Any] = {"validate": "list", "source": sources[column.list_name],
                               "error_title": column.prop.identifier}
    if column.prop.is_navigation:
        # A target added by this same file is not in the list yet: warn, do not refuse.
        options |= {"error_type": "warning", "error_message":
                    f"Not a known key of {column.list_name}. A key added in the tab "
                    f"{column.list_name} of this file is fine: continue."}
    else:
        options["error_message"] = column.note.removeprefix(NOTE_MARK)[:255]
    sheet.data_validation(_DATA_ROW, at, _LAST_ROW, at, options)


def _write_lists(book: xlsxwriter.Workbook, lists: dict[str, list[str]],
                 formats: _Formats) -> None:
    sheet = book.add_worksheet(LISTS)
    for index, (name, values) in enumerate(lists.items()):
        sheet.write_string(0, index, formula_safe(name), formats.optional)
        for number, value in enumerate(values, 1):
            sheet.write_string(number, index, formula_safe(value))
        sheet.set_column(index, index, min(max([len(name), *map(len, values[:_WIDTH_SAMPLE])])
                                           + 2, _MAX_WIDTH))
    sheet.hide()


def _width(column: Column, data: list[Row], index: int) -> int:
    longest = max([len(column.header), min(len(column.note), 36),
                   *(len(str(row[index])) for row in data[:_WIDTH_SAMPLE]
                     if row[index] is not None)])
    return max(_MIN_WIDTH, min(longest + 2, _MAX_WIDTH))


def _note_lines(tab: Tab) -> int:
    """Rows of text the tallest note needs, wrapped in its column (Excel does not size a row to
    its wrapped text by itself)."""
    return max([1, *(math.ceil(len(c.note) / (_width(c, [], 0) - 1)) for c in tab.columns)])


def _write_csv_zip(out: BinaryIO, tabs: Sequence[Tab], lists: dict[str, list[str]],
                   rows: dict[str, list[Row]], command: bool) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for tab in tabs:
            lead = [[COMMAND], [_COMMAND_NOTE]] if command else [[], []]
            table = [lead[0] + [c.header for c in tab.columns],
                     lead[1] + [c.note for c in tab.columns]]
            texts = [_csv_text(c) for c in tab.columns]
            table += [[""] * command + ["" if v is None else f(v) for f, v in zip(
                texts, row, strict=True)] for row in rows[tab.name]]
            archive.writestr(f"{tab.name}.csv", _csv(table))
        width = max((len(v) for v in lists.values()), default=0)
        archive.writestr(f"{LISTS}.csv", _csv(
            [list(lists)] + [[v[i] if i < len(v) else "" for v in lists.values()]
                             for i in range(width)]))


def _csv_text(column: Column) -> Callable[[Any], str]:
    """A column's stored values as the notes row describes them (dates DD/MM/YYYY)."""
    def day(value: Any) -> str:
        try:
            return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
        except ValueError:
            return str(value)

    def instant(value: Any) -> str:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return moment.strftime("%d/%m/%Y %H:%M")

    kind = column.prop.type
    return day if kind is PropertyType.DATE else instant if kind is PropertyType.DATETIME \
        else str


def _csv(table: list[list[Any]]) -> bytes:
    # With a BOM, as Excel needs to open UTF-8 text as such.
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerows([formula_safe(v) for v in row] for row in table)
    return text.getvalue().encode("utf-8-sig")
