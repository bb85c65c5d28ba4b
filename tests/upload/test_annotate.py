"""The file sent back (SPEC §9): read back with openpyxl, it holds every tab as uploaded, each
row's problems in a first column, the cells in error filled and commented, and a first tab
listing every problem; a CSV upload comes back as a workbook too."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from headcount.project import ProjectContext
from headcount.upload.annotate import annotated_workbook
from headcount.upload.verified import Verification
from uploadfiles import zip_of
from uploadsample import RECORDS, Filled, located, verify_file
from webproject import make_project


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProjectContext]:
    base = tmp_path_factory.mktemp("annotate")
    url = f"sqlite:///{base}/headcount.db"
    ctx = ProjectContext.open(make_project(base / "hr", url, people=200), url)
    yield ctx
    ctx.close()


def sent_back(verification: Verification) -> Any:
    return openpyxl.load_workbook(io.BytesIO(annotated_workbook(verification)))


def with_mistakes(sample: ProjectContext, tmp_path: Path) -> Verification:
    filled = Filled(sample, "full")
    filled.set(RECORDS, 4, ContractStartDate="31/02/2026", Site="SFO")
    filled.set(RECORDS, 6, Title="=cmd|' /C calc'!A0")
    # Typed as text (openpyxl would store a formula): what Excel keeps of a pasted value.
    filled.sheet(RECORDS)[f"{filled.letter(RECORDS, 'Title')}6"].data_type = "s"
    filled.set("Site", 3, DisplayName="'=HYPERLINK(\"x\")")
    return filled.verify(tmp_path)


def test_every_tab_comes_back_one_column_to_the_right(sample: ProjectContext,
                                                      tmp_path: Path) -> None:
    verification = with_mistakes(sample, tmp_path)
    book = sent_back(verification)
    assert book.sheetnames == ["Problems", "Identity", RECORDS, "User type", "Organization",
                               "Site", "Title", "Subsidiary", "Lists"]
    assert book["Lists"].sheet_state == "hidden"
    records = book[RECORDS]
    uploaded = openpyxl.load_workbook(tmp_path / "upload.xlsx")[RECORDS]
    assert records["A1"].value == "Problems"
    assert [c.value for c in records[1]][1:] == [c.value for c in uploaded[1]]
    assert records["B2"].value.startswith("↳ ")
    assert records["B3"].value == "E00001"
    # Cells as uploaded, as text, never a live formula.
    assert records[f"{_right(uploaded, 'Title')}6"].value == "'=cmd|' /C calc'!A0"
    assert book["Site"]["C3"].value == "'=HYPERLINK(\"x\")"
    assert all(cell.data_type != "f" for sheet in book for line in sheet.iter_rows()
               for cell in line)


def test_a_row_lists_its_problems_and_its_cells_in_error_are_marked(
        sample: ProjectContext, tmp_path: Path) -> None:
    verification = with_mistakes(sample, tmp_path)
    book = sent_back(verification)
    records = book[RECORDS]
    uploaded = openpyxl.load_workbook(tmp_path / "upload.xlsx")[RECORDS]
    assert records["A4"].value.splitlines() == [
        "column Contract start date *: `31/02/2026` is not a date: write DD/MM/YYYY, e.g. "
        "28/02/2026",
        "column Site: `SFO` is not a key of a Site, in this file or in the repository",
        "(warning) column Title: computed from HR by rule HR_Person_To_Directory_UserRecord: "
        "the next HR run may replace it"][:2]
    assert records["A5"].value is None
    date_cell = records[f"{_right(uploaded, 'Contract start date')}4"]
    assert date_cell.value == "31/02/2026"
    assert date_cell.fill.fgColor.rgb.endswith("F8CBAD")
    assert date_cell.comment.text.startswith("`31/02/2026` is not a date")
    assert records[f"{_right(uploaded, 'Contract start date')}5"].comment is None


def test_the_problems_tab_lists_every_problem(sample: ProjectContext, tmp_path: Path) -> None:
    verification = with_mistakes(sample, tmp_path)
    problems = sent_back(verification)["Problems"]
    rows = [[c.value for c in line] for line in problems.iter_rows()]
    assert rows[0] == ["Tab", "Row", "Column", "Value", "Problem", "Severity"]
    assert len(rows) == 1 + len(verification.problems)
    assert [RECORDS, 4, "Contract start date * (K)", "31/02/2026",
            "`31/02/2026` is not a date: write DD/MM/YYYY, e.g. 28/02/2026", "error"] in rows
    assert sum(1 for r in rows[1:] if r[5] == "error") == len(verification.errors) == 2


def test_a_csv_upload_comes_back_as_a_workbook(sample: ProjectContext, tmp_path: Path) -> None:
    path = tmp_path / "Site.csv"
    path.write_text("Identifier,DisplayName\nLYS,Lyon\nXX\n,Nowhere\n", "utf-8")
    verification = verify_file(sample, path)
    book = sent_back(verification)
    assert book.sheetnames == ["Problems", "Site"]
    assert book["Site"]["A4"].value == "the key Identifier is empty: every row needs one" \
        .join(["column Identifier: ", ""])
    assert (book["Site"]["B2"].value, book["Site"]["B3"].value) == ("LYS", "XX")


def _right(sheet: Any, header: str) -> str:
    """The letter a column of the uploaded tab has in the file sent back: one to the right."""
    for cell in sheet[1]:
        if str(cell.value).removesuffix(" *") == header:
            return str(openpyxl.utils.get_column_letter(cell.column + 1))
    raise KeyError(header)


def test_the_file_sent_back_uploaded_again_gives_the_same_problems(
        sample: ProjectContext, tmp_path: Path) -> None:
    verification = with_mistakes(sample, tmp_path)
    path = tmp_path / "sent-back.xlsx"
    path.write_bytes(annotated_workbook(verification))
    again = verify_file(sample, path)
    assert located(again.problems) == located(verification.problems)
    assert ("Problems", "the problems found by an earlier verify") in again.ignored


def test_tab_names_excel_refuses_come_back_cleaned(sample: ProjectContext,
                                                   tmp_path: Path) -> None:
    # A zip's file names become tabs: brackets, colons and quotes Excel refuses in a tab name.
    data = b"Identifier,DisplayName\nLYS,Lyon\n"
    path = zip_of(tmp_path / "upload.zip", {"a[1].csv": data, "a:b.csv": data, "'q'.csv": data,
                                            "problems.csv": data})
    book = sent_back(verify_file(sample, path))
    assert book.sheetnames == ["Problems", "a-1-", "a-b", "q", "problems (2)"]
    assert book["a-b"]["B2"].value == "LYS"
