"""The file sent back (SPEC §9): the uploaded tabs with the problems of each row in a first
column, and a note on each cell in error, for the HR operator to fix in Excel."""

from __future__ import annotations

import io
from collections import defaultdict

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from headcount.cells import formula_safe, formula_unsafe
from headcount.connections.reader import LINE
from headcount.upload.columns import tab_names
from headcount.upload.headers import PROBLEMS
from headcount.upload.sheet import Sheet
from headcount.upload.verified import Problem, Verification

_PROBLEM_HEADERS = ("Tab", "Row", "Column", "Value", "Problem", "Severity")
_WIDTHS = (18, 8, 22, 24, 80, 10)
_MAX_WIDTH = 60


def annotated_workbook(verification: Verification) -> bytes:
    """An .xlsx of every tab read, row for row as uploaded (formula-safe), with a column
    `Problems` first, the cells in error highlighted with their message as a note."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_numbers": False, "strings_to_urls": False})
    header = book.add_format({"bold": True, "bottom": 1, "bg_color": "#EDEDED"})
    wrong = book.add_format({"bg_color": "#F8CBAD"})
    message = book.add_format({"font_color": "#9C0006", "text_wrap": True, "valign": "top"})
    names = _sheet_names(verification)
    _write_problems(book.add_worksheet(PROBLEMS), verification.problems, header)
    by_tab: dict[str, list[Problem]] = defaultdict(list)
    for problem in verification.problems:
        by_tab[problem.tab].append(problem)
    for sheet in verification.workbook.sheets:
        written = book.add_worksheet(names[sheet.name])
        _write_sheet(written, sheet, by_tab[sheet.name], header, wrong, message)
        if sheet.name in verification.workbook.hidden:
            written.hide()
    book.close()
    return out.getvalue()


def row_messages(problems: list[Problem], line: int) -> str:
    """A row's problems, errors first: `column Manager: … ; column E-mail: …`."""
    found = sorted((p for p in problems if p.row == line), key=lambda p: p.severity != "error")
    return "\n".join(_message(p) for p in found)


def _message(problem: Problem) -> str:
    where = f"column {problem.column}: " if problem.column else ""
    mark = "" if problem.severity == "error" else "(warning) "
    return f"{mark}{where}{problem.message}"


def _write_problems(sheet: Worksheet, problems: tuple[Problem, ...], header: Format) -> None:
    for index, (title, width) in enumerate(zip(_PROBLEM_HEADERS, _WIDTHS, strict=True)):
        sheet.write_string(0, index, title, header)
        sheet.set_column(index, index, width)
    for number, problem in enumerate(problems, 1):
        cells = (problem.tab, "" if problem.row is None else str(problem.row),
                 (problem.column or "") + (f" ({problem.letter})" if problem.letter else ""),
                 problem.value or "", problem.message, problem.severity)
        for index, text in enumerate(cells):
            if index == 1 and problem.row is not None:
                sheet.write_number(number, index, problem.row)
            else:
                sheet.write_string(number, index, formula_safe(text))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(problems), 1), len(_PROBLEM_HEADERS) - 1)


def _write_sheet(sheet: Worksheet, data: Sheet, problems: list[Problem], header: Format,
                 wrong: Format, message: Format) -> None:
    """The tab as uploaded, one column to the right, its rows where they were."""
    letters = [c for c in data.frame.columns if c != LINE]
    cells = {(p.row, p.letter): p for p in problems
             if p.row is not None and p.letter is not None and p.severity == "error"}
    notes: dict[tuple[int, str], list[str]] = defaultdict(list)
    for problem in problems:
        if problem.row is not None and problem.letter is not None:
            notes[(problem.row, problem.letter)].append(problem.message)
    sheet.write_string(0, 0, PROBLEMS, header)
    sheet.set_column(0, 0, _MAX_WIDTH)
    widths = [10] * len(letters)
    lines = data.frame[LINE].to_list()
    first = lines[0] if lines else 1
    for values in data.frame.iter_rows():
        line = int(values[-1])
        row = line - 1
        text = row_messages(problems, line) if line != first else ""
        if text:
            sheet.write_string(row, 0, formula_safe(text), message)
        for index, (letter, value) in enumerate(zip(letters, values, strict=False)):
            if value is None and (line, letter) not in cells:
                continue
            # Escaped as the template escapes it: uploaded again, it reads as the same value.
            shown = formula_safe(formula_unsafe(value)) if value is not None else ""
            style = wrong if (line, letter) in cells else (header if line == first else None)
            sheet.write_string(row, index + 1, shown, style)
            if (line, letter) in notes:
                sheet.write_comment(row, index + 1, "\n".join(notes[(line, letter)]),
                                                 {"x_scale": 2, "y_scale": 1.5})
            widths[index] = max(widths[index], min(len(shown) + 2, _MAX_WIDTH))
    # Problems of a row left out of the frame (a header on a row with nothing else) still show.
    for line in sorted({p.row for p in problems if p.row is not None and p.row > first}
                       - set(lines)):
        sheet.write_string(line - 1, 0, formula_safe(row_messages(problems, line)), message)
    for index, width in enumerate(widths):
        sheet.set_column(index + 1, index + 1, width)
    sheet.freeze_panes(min(2, max(len(lines), 1)), 1)


def _sheet_names(verification: Verification) -> dict[str, str]:
    """The uploaded names as Excel accepts them (a CSV file's name may hold [ ] : or quotes),
    never `Problems` twice nor two names alike (Excel compares names ignoring case)."""
    sheets = [sheet.name for sheet in verification.workbook.sheets]
    return dict(zip(sheets, tab_names(sheets, reserved=PROBLEMS), strict=True))
