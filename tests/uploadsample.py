"""Upload workbooks for the verify tests: the sample project's template, filled or changed with
openpyxl the way an HR operator does in Excel, then read and verified."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import sqlalchemy as sa
from openpyxl.worksheet.worksheet import Worksheet

from headcount.config.model import Project
from headcount.project import ProjectContext
from headcount.repository.schema import changes, links, resources, runs, set_aside
from headcount.upload.columns import label, upload_tabs
from headcount.upload.templates import Kind, write_template
from headcount.upload.verified import Problem, Verification
from headcount.upload.verify import verify
from headcount.upload.workbook import read_workbook

RECORDS = "Identity record"
ORGS = "Organization"


class Filled:
    """A template being filled: cells by tab, row and header (" *" ignored) or property
    identifier (the header is its display name: `ContractStartDate` is "Contract start date")."""

    def __init__(self, ctx: ProjectContext, kind: Kind = "empty",
                 command_column: bool = False) -> None:
        self.ctx = ctx
        self.project: Project = ctx.deployed()[1]
        out = io.BytesIO()
        with ctx.engine.connect() as conn:
            write_template(conn, self.project, out, kind, "xlsx", command_column)
        self.book: Any = openpyxl.load_workbook(io.BytesIO(out.getvalue()))

    def sheet(self, tab: str) -> Worksheet:
        sheet: Worksheet = self.book[tab]
        return sheet

    def letter(self, tab: str, header: str) -> str:
        wanted = {header.removesuffix(" *"), self.label(tab, header.removesuffix(" *"))}
        for cell in self.sheet(tab)[1]:
            if str(cell.value).removesuffix(" *") in wanted:
                return str(cell.column_letter)
        raise KeyError(header)

    def label(self, tab: str, identifier: str) -> str:
        """The header of the property `identifier` in `tab` (itself when none has it)."""
        for t in upload_tabs(self.project):
            if t.name == tab:
                return next((label(c.prop) for c in t.columns
                             if c.prop.identifier == identifier), identifier)
        return identifier

    def get(self, tab: str, row: int, header: str) -> Any:
        return self.sheet(tab)[f"{self.letter(tab, header)}{row}"].value

    def set(self, tab: str, row: int, **values: Any) -> None:
        for header, value in values.items():
            self.sheet(tab)[f"{self.letter(tab, header.replace('_', ' '))}{row}"] = value

    def put(self, tab: str, row: int, values: dict[str, Any]) -> None:
        """Cells by header as written (spaces allowed)."""
        for header, value in values.items():
            self.sheet(tab)[f"{self.letter(tab, header)}{row}"] = value

    def row_of(self, tab: str, header: str, value: Any) -> int:
        column = self.letter(tab, header)
        sheet = self.sheet(tab)
        for row in range(3, sheet.max_row + 1):
            if sheet[f"{column}{row}"].value == value:
                return row
        raise KeyError(value)

    def append(self, tab: str, values: dict[str, Any]) -> int:
        sheet = self.sheet(tab)
        row = max(int(sheet.max_row) + 1, 3)
        self.put(tab, row, values)
        return row

    def copy_row(self, tab: str, source: int) -> int:
        sheet = self.sheet(tab)
        row = int(sheet.max_row) + 1
        for cell in sheet[source]:
            sheet.cell(row, cell.column, cell.value)
        return row

    def verify(self, folder: Path, name: str = "upload.xlsx") -> Verification:
        path = folder / name
        self.book.save(path)
        return verify_file(self.ctx, path)


def verify_file(ctx: ProjectContext, path: Path) -> Verification:
    workbook = read_workbook(path)
    with ctx.engine.connect() as conn:
        return verify(conn, ctx.deployed()[1], workbook)


def located(problems: Sequence[Problem]) -> set[tuple[str, int | None, str | None]]:
    """Problems as (tab, row, column without " *")."""
    return {(p.tab, p.row, p.column.removesuffix(" *") if p.column else None) for p in problems}


def messages(verification: Verification) -> list[str]:
    return [f"{p.where}: {p.message}" for p in verification.errors]


def full_with_mistakes(filled: Filled, correct: bool) -> set[tuple[str, int | None, str]]:
    """The issue's six mistakes in a full template (or their correct versions); where each
    error is expected."""
    duplicate = filled.copy_row(RECORDS, 5) if not correct else None
    filled.set(RECORDS, 6, Manager="E00001" if correct else "E99999")
    filled.set(RECORDS, 7, ContractStartDate="28/02/2026" if correct else "31/02/2026")
    filled.set(RECORDS, 8, UserType="fixed-term",
               ContractEndDate="31/12/2027" if correct else None)
    filled.set(RECORDS, 9, Login="rroy.new" if correct else filled.get(RECORDS, 10, "Login"))
    filled.set(ORGS, 4, Manager="E00002" if correct else None)
    return {(RECORDS, 5, "Record identifier"), (RECORDS, duplicate or 0, "Record identifier"),
            (RECORDS, 6, "Manager"), (RECORDS, 7, "Contract start date"),
            (RECORDS, 8, "Contract end date"), (RECORDS, 9, "Login"), (ORGS, 4, "Manager")}


def fingerprint(engine: sa.Engine) -> dict[str, tuple[int, str]]:
    """Per table of what an upload may change — resources, links, changes, runs, set-aside
    rows —: its row count and a checksum of every row."""
    out = {}
    with engine.connect() as conn:
        for table in (resources, links, changes, runs, set_aside):
            rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return out
