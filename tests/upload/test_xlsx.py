"""Workbooks refused for what they are: macro-enabled (whatever the extension), with controls or
links to other workbooks, not a workbook at all, holding formulas when the upload refuses them,
or reaching further than a reader can hold — checked before python-calamine opens a tab."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from headcount.upload.workbook import UploadLimits, read_workbook
from uploadfiles import hostile_xlsx, refusal, rewrite_zip, sheet_xml, write_xlsx

MACROS = "the workbook contains macros, which are never accepted"


@pytest.mark.parametrize("part", ["xl/vbaProject.bin", "xl/macrosheets/sheet1.xml"])
def test_a_macro_part_is_refused_whatever_the_extension(tmp_path: Path, part: str) -> None:
    book = write_xlsx(tmp_path / "clean.xlsx", {"Person": [["Key"]]})
    path = rewrite_zip(book, tmp_path / "people.xlsx", {part: b"Attribute VB_Name"})
    assert refusal(path).startswith(f"people.xlsx: {MACROS}")


def test_a_macro_enabled_content_type_is_refused(tmp_path: Path) -> None:
    book = write_xlsx(tmp_path / "clean.xlsx", {"Person": [["Key"]]})
    with zipfile.ZipFile(book) as archive:
        types = archive.read("[Content_Types].xml")
    macro = types.replace(b"spreadsheetml.sheet.main+xml",
                          b"ms-excel.sheet.macroEnabled.main+xml")
    assert macro != types
    path = rewrite_zip(book, tmp_path / "people.xlsx", {"[Content_Types].xml": macro})
    assert MACROS in refusal(path)


def test_an_xlsm_file_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "people.xlsx", {"Person": [["Key"]]}).rename(
        tmp_path / "people.xlsm")
    assert "people.xlsm: macro-enabled workbooks are never accepted" in refusal(path)


def test_a_zip_that_is_no_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "letter.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", b"<w:document/>")
    assert "letter.xlsx: the file is a zip but not an Excel workbook" in refusal(path)


def formulas_workbook(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Person")
    sheet.write_row(0, 0, ["Key", "Name"])
    for row in range(1, 8):
        sheet.write_formula(row, 1, f'=HYPERLINK("http://x/{row}", "x")', None, "x")
    book.close()
    return path


def test_formulas_are_refused_when_the_upload_refuses_them(tmp_path: Path) -> None:
    path = formulas_workbook(tmp_path / "people.xlsx")
    message = refusal(path, UploadLimits(formulas="refuse"))
    assert message.startswith("people.xlsx: the tab `Person` holds formulas (cells B2, B3, B4, "
                              "B5, B6 …): replace them by their values")
    assert read_workbook(path).sheets[0].formulas == tuple((r, "B") for r in range(2, 9))


def test_too_many_rows_are_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "people.xlsx", {"A": [["Key"], ["1"]], "B": [["Key"], ["2"]]})
    assert "people.xlsx: the file has more than 3 rows" in refusal(path, UploadLimits(max_rows=3))


ADVICE = "delete the empty rows and columns after your data, then upload the file again"


# A dimension that lies (Excel writes the true one, which the reader trusts once no row or cell
# reaches beyond it), or none.
@pytest.mark.parametrize("dimension", [None, "A1:B2", "A1:XFD2", "A1:A60000"])
def test_two_cells_far_apart_are_refused_before_the_grid_is_held(tmp_path: Path,
                                                                 dimension: str | None) -> None:
    # A1 and XFD60000: 1.8 KB that python-calamine would open as a grid of 31 GB.
    path = hostile_xlsx(tmp_path / "people.xlsx",
                        [sheet_xml([("A1", "Key"), ("XFD60000", "x")], dimension=dimension)])
    assert path.stat().st_size < 8_000
    assert refusal(path) == ("people.xlsx: the tab `People` reaches cell XFD60000: 983 million "
                             "cells, more than the 5 million an upload may hold: " + ADVICE)


def test_a_declared_dimension_counts_as_the_grid(tmp_path: Path) -> None:
    path = hostile_xlsx(tmp_path / "people.xlsx",
                        [sheet_xml([("A1", "Key")], dimension="A1:XFD1048576")])
    assert "the tab `People` reaches cell XFD1048576: 17,180 million cells" in refusal(path)


@pytest.mark.parametrize(("reference", "reason"), [
    ("ZZZZ2", "the tab `People` has a cell in column ZZZZ, beyond Excel's last column (XFD)"),
    ("A4294967297", "the tab `People` has a row numbered 4,294,967,297, beyond Excel's last row "
                    "(1,048,576)"),
])
def test_a_cell_beyond_excel_s_last_row_or_column_is_refused(tmp_path: Path, reference: str,
                                                             reason: str) -> None:
    path = hostile_xlsx(tmp_path / "people.xlsx", [sheet_xml([("A1", "Key"), (reference, "x")])])
    assert refusal(path) == f"people.xlsx: {reason}: the file was not made by Excel; save it " \
                            "again from Excel"


@pytest.mark.parametrize("dimension", [None, "A1:B1"])
def test_cells_without_a_reference_count_as_positions(tmp_path: Path,
                                                      dimension: str | None) -> None:
    # 1,001 cells in a row, none saying where it is: the last one is in column ALM.
    cells = [(None, "x")] * 1_001
    path = hostile_xlsx(tmp_path / "people.xlsx",
                        [sheet_xml(cells, dimension=dimension, rows_numbered=False)])
    assert refusal(path) == ("people.xlsx: the tab `People` reaches column ALM: 1,001 columns, "
                             f"more than the 1,000 an upload may have: {ADVICE}")


def test_a_column_in_lower_case_is_not_taken_for_a_small_one(tmp_path: Path) -> None:
    path = hostile_xlsx(tmp_path / "people.xlsx",
                        [sheet_xml([("A1", "Key"), ("xfd60000", "x")], dimension="A1:A1")])
    assert "the tab `People` reaches cell XFD60000: 983 million cells" in refusal(path)


def test_the_cell_budget_counts_every_tab(tmp_path: Path) -> None:
    # Two tabs of 3 million cells each (A1 to T150000): each fits, both do not.
    tab = sheet_xml([("A1", "Key"), ("T150000", "x")])
    path = hostile_xlsx(tmp_path / "people.xlsx", [tab, tab])
    assert refusal(path) == ("people.xlsx: the tabs together reach 6 million cells (from A1 to "
                             "the last cell of each), more than the 5 million an upload may "
                             f"hold: {ADVICE}, or split the file")


def test_a_workbook_of_too_many_tabs_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "people.xlsx", {f"T{i}": [["Key"]] for i in range(101)})
    assert refusal(path) == ("people.xlsx: the workbook has 101 tabs, more than the 100 an "
                             "upload may have: split it")


def test_a_workbook_within_the_limits_reads_as_before(tmp_path: Path) -> None:
    path = hostile_xlsx(tmp_path / "people.xlsx",
                        [sheet_xml([("A1", "Key"), ("B1", "Name"), (None, "Note"), ("A2", "E1")],
                                   dimension="A1:C2")])
    assert read_workbook(path).sheets[0].frame.rows() == [("Key", "Name", "Note", 1),
                                                          ("E1", None, None, 2)]


def test_a_macro_project_declared_under_another_name_is_refused(tmp_path: Path) -> None:
    book = write_xlsx(tmp_path / "clean.xlsx", {"Person": [["Key"]]})
    with zipfile.ZipFile(book) as archive:
        types = archive.read("[Content_Types].xml")
    declared = types.replace(b"</Types>", b'<Override PartName="/xl/data.dat" ContentType='
                             b'"application/vnd.ms-office.vbaProject"/></Types>')
    path = rewrite_zip(book, tmp_path / "people.xlsx",
                       {"[Content_Types].xml": declared, "xl/data.dat": b"Attribute VB_Name"})
    assert refusal(path).startswith(f"people.xlsx: {MACROS}")


@pytest.mark.parametrize(("part", "reason"), [
    ("xl/activeX/activeX1.xml", "the workbook contains ActiveX controls (`xl/activeX/activeX1.xml`)"
                                ", programs that are never accepted"),
    ("xl/externalLinks/externalLink1.xml", "the workbook links to other workbooks "
                                           "(`xl/externalLinks/externalLink1.xml`), which would "
                                           "fetch data from elsewhere"),
])
def test_controls_and_links_to_other_workbooks_are_refused(tmp_path: Path, part: str,
                                                           reason: str) -> None:
    book = write_xlsx(tmp_path / "clean.xlsx", {"Person": [["Key"]]})
    path = rewrite_zip(book, tmp_path / "people.xlsx", {part: b"<x/>"})
    assert refusal(path).startswith(f"people.xlsx: {reason}")
