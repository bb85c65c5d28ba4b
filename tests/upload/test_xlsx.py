"""Workbooks refused for what they are: macro-enabled (whatever the extension), not a workbook
at all, or holding formulas when the upload refuses them."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from headcount.upload.workbook import UploadLimits, UploadRefused, read_workbook
from uploadfiles import rewrite_zip, write_xlsx

MACROS = "the workbook contains macros, which are never accepted"


def refusal(path: Path, limits: UploadLimits | None = None) -> str:
    with pytest.raises(UploadRefused) as caught:
        read_workbook(path, limits or UploadLimits())
    assert caught.value.file == path.name
    return str(caught.value)


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
