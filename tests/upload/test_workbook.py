"""Reading an uploaded workbook: values as the texts people typed, tabs in order, rows numbered as
Excel shows them; CSV files and zips of CSV files as tabs too."""

from __future__ import annotations

import hashlib
import tempfile
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headcount.config.upload import UploadSettings
from headcount.connections.reader import LINE
from headcount.upload.workbook import UploadLimits, UploadRefused, read_workbook, upload_limits
from uploadfiles import refusal, rewrite_zip, write_xlsx, zip_of


def rows_of(frame: pl.DataFrame) -> list[tuple[object, ...]]:
    return frame.rows()


def test_values_read_as_the_texts_people_typed(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "people.xlsx", {"Person": [
        ["Key *", "Birth date", "Arrival", "Children", "Rate", "Manager"],
        ["E1", date(1980, 2, 29), datetime(2026, 11, 30, 8, 0), 2, 0.5, True],
        ["E2", None, None, -3, 1e20, False],
    ]})
    book = read_workbook(path)
    sheet = book.sheets[0]
    assert sheet.name == "Person"
    assert sheet.frame.columns == ["A", "B", "C", "D", "E", "F", LINE]
    assert all(dtype == pl.String for dtype in sheet.frame.drop(LINE).dtypes)
    assert rows_of(sheet.frame) == [
        ("Key *", "Birth date", "Arrival", "Children", "Rate", "Manager", 1),
        ("E1", "1980-02-29", "2026-11-30T08:00:00", "2", "0.5", "true", 2),
        ("E2", None, None, "-3", "1e+20", "false", 3),
    ]
    assert sheet.formulas == ()


def test_rows_keep_excel_numbers_and_empty_rows_and_columns_are_dropped(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "gaps.xlsx", {"Person": [
        ["Key", None, "Name"],
        [None, None, None],
        ["E1", None, "  Ada  "],
    ]})
    # A formatted empty cell far below and to the right: Excel's used range grows, no data does.
    book = read_workbook(_with_formatted_blank(path, tmp_path / "formatted.xlsx"))
    assert rows_of(book.sheets[0].frame) == [
        ("Key", None, "Name", 1),
        ("E1", None, "  Ada  ", 3),  # never trimmed here
    ]


def _with_formatted_blank(path: Path, target: Path) -> Path:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    blank = b'<row r="40"><c r="H40" s="0"/></row></sheetData>'
    return rewrite_zip(path, target, {
        "xl/worksheets/sheet1.xml": sheet.replace(b"</sheetData>", blank)})


def test_tabs_keep_their_order_and_hidden_tabs_are_named(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "tabs.xlsx", {
        "Zeta": [["z"]], "Alpha": [["a"]], "Lists": [["permanent"]], "Empty": []},
        hidden=["Lists"])
    book = read_workbook(path)
    assert [s.name for s in book.sheets] == ["Zeta", "Alpha", "Lists", "Empty"]
    assert book.hidden == frozenset({"Lists"})
    assert book.sheets[3].frame.height == 0


def test_the_file_is_described_for_the_job_result(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "people.xlsx", {"A": [["h"], ["1"], ["2"]], "B": [["h"]]})
    source = read_workbook(path).file
    assert (source.name, source.size, source.rows) == ("people.xlsx", path.stat().st_size, 4)
    assert source.checksum == hashlib.sha256(path.read_bytes()).hexdigest()


def test_formulas_are_read_as_their_cached_values_and_listed(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "formulas.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Person")
    sheet.write_row(0, 0, ["Key", "Total"])
    sheet.write_string(1, 0, "E1")
    sheet.write_formula(1, 1, "=2*21", None, 42)
    sheet.write_formula(2, 1, '=CONCAT("a","b")', None, "ab")
    book.close()
    read = read_workbook(path).sheets[0]
    assert rows_of(read.frame)[1:] == [("E1", "42", 2), (None, "ab", 3)]
    assert read.formulas == ((2, "B"), (3, "B"))


# Text Excel can hold: no control characters, no surrogates.
_TEXT = st.text(st.characters(categories=["L", "N", "P", "S", "Zs"]), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tabs=st.lists(st.lists(st.lists(st.one_of(st.none(), _TEXT), min_size=1, max_size=5),
                              min_size=1, max_size=6), min_size=1, max_size=3))
def test_texts_written_with_xlsxwriter_read_back_the_same(tabs: list[list[list[str | None]]]
                                                          ) -> None:
    names = [f"Tab {i}" for i in range(len(tabs))]
    with tempfile.TemporaryDirectory() as folder:
        path = write_xlsx(Path(folder) / "round.xlsx", dict(zip(names, tabs, strict=True)))
        book = read_workbook(path)
    assert [s.name for s in book.sheets] == names
    for rows, sheet in zip(tabs, book.sheets, strict=True):
        expected = [(number, row) for number, row in enumerate(rows, start=1)
                    if any(v is not None for v in row)]
        width = max((i + 1 for _, row in expected for i, v in enumerate(row) if v is not None),
                    default=0)
        assert rows_of(sheet.frame) == [
            (*(row + [None] * width)[:width], number) for number, row in expected]


def test_a_csv_file_is_one_tab_named_after_it(tmp_path: Path) -> None:
    path = tmp_path / "Person.csv"
    path.write_bytes("\ufeffKey;Name;Note\nE1;Zoé;\"two\nlines\"\n\nE2;;x\n".encode())
    book = read_workbook(path)
    assert [s.name for s in book.sheets] == ["Person"]
    assert rows_of(book.sheets[0].frame) == [
        ("Key", "Name", "Note", 1), ("E1", "Zoé", "two\nlines", 2), ("E2", None, "x", 5)]
    assert book.file.encoding == "utf-8-sig"


def test_a_zip_of_csv_files_is_one_tab_per_file(tmp_path: Path) -> None:
    path = zip_of(tmp_path / "template.zip", {
        "Person.csv": b"Key,Name\nE1,Ada\n",
        "__MACOSX/._Person.csv": b"\x00\x05\x16\x07",
        "Organization.csv": b"Key,Manager\nO1,E1\n",
    })
    book = read_workbook(path)
    assert [s.name for s in book.sheets] == ["Person", "Organization"]
    assert rows_of(book.sheets[1].frame) == [("Key", "Manager", 1), ("O1", "E1", 2)]
    assert book.file.rows == 4


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "people.xlsx"
    with path.open("wb") as handle:
        handle.truncate(60 * 1024 * 1024)  # 60 MB of nothing: never opened as a zip
    assert refusal(path) == ("people.xlsx: the file is 60 MB, larger than the 50 MB an upload "
                             "may be")


def test_the_size_limit_is_the_callers(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "people.xlsx", {"Person": [["Key"]]})
    assert "larger than the 0 MB" in refusal(path, UploadLimits(max_bytes=1000))


def compound_file(path: Path, *streams: str) -> Path:
    """The start of an OLE compound file: its signature and, in a directory sector, the names of
    its streams — what .xls files and encrypted workbooks are."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    directory = b"".join(name.encode("utf-16-le").ljust(128, b"\x00") for name in streams)
    path.write_bytes(header + directory)
    return path


def test_an_encrypted_workbook_is_refused(tmp_path: Path) -> None:
    path = compound_file(tmp_path / "salaries.xlsx", "Root Entry", "EncryptionInfo",
                         "EncryptedPackage")
    assert refusal(path).startswith("salaries.xlsx: the workbook is protected by a password")


def test_an_xls_workbook_is_refused(tmp_path: Path) -> None:
    renamed = compound_file(tmp_path / "people.xlsx", "Root Entry", "Workbook")
    assert "people.xlsx: the file is in the old Excel 97-2003 format (.xls)" in refusal(renamed)
    path = write_xlsx(tmp_path / "p.xlsx", {"A": [["a"]]}).rename(tmp_path / "people.xls")
    assert "save the file as an Excel workbook (.xlsx)" in refusal(path)


def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "people.xlsx"
    path.write_text("Key,Name\nE1,Ada\n", encoding="utf-8")
    assert refusal(path) == ("people.xlsx: the file is not an Excel workbook (.xlsx): it is not "
                             "a zip file, so it was probably renamed or is damaged")


def test_other_kinds_of_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "people.ods"
    path.write_bytes(b"PK\x03\x04")
    assert "only Excel workbooks (.xlsx), CSV files (.csv) and zip files" in refusal(path)
    renamed = write_xlsx(tmp_path / "p.xlsx", {"A": [["a"]]}).rename(tmp_path / "people.csv")
    assert "people.csv: the file is not CSV text but a zip" in refusal(renamed)


def test_the_project_settings_give_the_limits() -> None:
    limits = upload_limits(UploadSettings(max_megabytes=2, formulas="refuse"))
    assert (limits.max_bytes, limits.formulas) == (2 * 1024 * 1024, "refuse")
    assert upload_limits(UploadSettings()) == UploadLimits()


def test_a_file_larger_than_the_limit_is_refused_from_its_size(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    with path.open("wb") as handle:
        handle.truncate(3 * 1024 * 1024)
    with pytest.raises(UploadRefused) as caught:
        read_workbook(path, upload_limits(UploadSettings(max_megabytes=2)))
    assert str(caught.value) == ("people.csv: the file is 3 MB, larger than the 2 MB an upload "
                                 "may be")
