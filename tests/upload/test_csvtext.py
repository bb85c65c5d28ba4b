"""CSV uploads: the CSV connection's encoding rules, the separator Excel used, and cells a
spreadsheet would run as formulas refused, each named; records too wide, files too many."""

from __future__ import annotations

from pathlib import Path

import pytest

from headcount.upload.workbook import UploadLimits, UploadRefused, read_workbook
from uploadfiles import refusal, zip_of

FORMULA_ADVICE = ("Write the value itself, or start it with an apostrophe (') to keep it as "
                  "text, and upload the file again")


def test_cells_that_would_run_as_formulas_are_refused_each_named(tmp_path: Path) -> None:
    path = tmp_path / "Person.csv"
    path.write_text("Key,Name,Phone,Balance,Note\n"
                    "E1,=HYPERLINK(\"http://x\"),+33 6 12 34 56 78,-12.5,-\n"
                    "E2,@SUM(A1),0612,+1,-2+3+cmd|' /C calc'!A0\n", encoding="utf-8")
    # A phone number, a signed number and a lone dash are no formulas.
    assert refusal(path) == (
        "Person.csv: 3 cells would run as formulas in a spreadsheet (starting with = + - or @): "
        "tab Person, row 2, column Name (B); tab Person, row 3, column Name (B); tab Person, "
        f"row 3, column Note (E). {FORMULA_ADVICE}")


def test_a_formula_escaped_with_an_apostrophe_is_text(tmp_path: Path) -> None:
    path = tmp_path / "Person.csv"
    # What our own downloads write: formula_safe's apostrophe.
    path.write_text("Key,Name\nE1,'=1+2\nE2,'\uff20x\n", encoding="utf-8")
    sheet = read_workbook(path).sheets[0]
    assert sheet.formulas == ()
    assert sheet.frame["B"].to_list() == ["Name", "'=1+2", "'\uff20x"]


def test_a_refusal_names_twenty_formulas_then_counts_the_others(tmp_path: Path) -> None:
    path = tmp_path / "Person.csv"
    path.write_text("Key\n" + "".join(f"=A{i}\n" for i in range(25)), encoding="utf-8")
    message = refusal(path)
    assert message.startswith("Person.csv: 25 cells would run as formulas")
    assert "row 21, column Key (A) and 5 more. Write the value itself" in message
    assert "row 22," not in message


def test_a_zip_of_csv_files_with_formulas_is_refused_too(tmp_path: Path) -> None:
    path = zip_of(tmp_path / "upload.zip", {"Person.csv": b"Key\nE1\n", "Site.csv": b"Key\n@x\n"})
    assert refusal(path) == ("upload.zip: 1 cell would run as a formula in a spreadsheet "
                             "(starting with = + - or @): tab Site, row 2, column Key (A). "
                             f"{FORMULA_ADVICE}")


def test_a_record_wider_than_the_columns_allowed_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "Person.csv"
    path.write_bytes(b"Key,Name\nE1,Ada\nE2" + b",x" * 100_001 + b"\n")
    assert refusal(path).startswith("Person.csv: the record on line 3 has 100,002 fields, more "
                                    "than the 1,000 columns an upload may have")


def test_one_wide_row_over_many_rows_is_refused_by_the_cell_budget(tmp_path: Path) -> None:
    # 1,000 columns on one line make each of the 6,000 rows that wide: 6 million cells.
    path = tmp_path / "Person.csv"
    path.write_bytes(b"Key" + b",x" * 999 + b"\n" + b"E\n" * 5_999)
    assert refusal(path).startswith("Person.csv: 6,000 rows of up to 1,000 columns make 6 "
                                    "million cells, more than the 5 million an upload may hold")


def test_the_cell_budget_counts_every_file_of_a_zip(tmp_path: Path) -> None:
    member = b"Key,Name\n" + b"E,x\n" * 29
    path = zip_of(tmp_path / "upload.zip", {"A.csv": member, "B.csv": member})
    assert "upload.zip: `B.csv`: 30 rows of up to 2 columns make 60 cells, more than the 40" in \
        refusal(path, UploadLimits(max_cells=100))


def test_two_files_of_a_zip_that_would_be_the_same_tab_are_refused(tmp_path: Path) -> None:
    path = zip_of(tmp_path / "upload.zip", {"x/Site.csv": b"Key\n", "y/site.csv": b"Key\n"})
    assert refusal(path) == ("upload.zip: `x/Site.csv` and `y/site.csv` would be the same tab: "
                             "rename one of them (each file of the zip is the tab named after "
                             "it)")


def test_a_zip_of_more_files_than_tabs_allowed_is_refused(tmp_path: Path) -> None:
    path = zip_of(tmp_path / "upload.zip", {f"T{i}.csv": b"Key\n" for i in range(101)})
    assert refusal(path).startswith("upload.zip: the zip file holds 101 files, more than the 100 "
                                    "tabs an upload may have")


def test_text_that_is_not_utf8_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "Person.csv"
    path.write_bytes("Key;Name\nE1;Zoé\n".encode("cp1252"))
    with pytest.raises(UploadRefused) as caught:
        read_workbook(path)
    assert str(caught.value) == ('Person.csv: line 2 is not UTF-8 text: in Excel, save the file '
                                 'as "CSV UTF-8" and upload it again')


def test_a_byte_order_mark_gives_the_encoding(tmp_path: Path) -> None:
    path = tmp_path / "Person.csv"
    path.write_bytes("Key\tName\nE1\tZoé\n".encode("utf-16"))
    book = read_workbook(path)
    assert book.sheets[0].frame.rows() == [("Key", "Name", 1), ("E1", "Zoé", 2)]
    assert book.file.encoding == "utf-16"


def test_ragged_rows_end_with_empty_cells(tmp_path: Path) -> None:
    path = tmp_path / "Person.csv"
    path.write_text("Key,Name,Site\nE1\nE2,Bob,S1,extra\n", encoding="utf-8")
    assert read_workbook(path).sheets[0].frame.rows() == [
        ("Key", "Name", "Site", None, 1), ("E1", None, None, None, 2),
        ("E2", "Bob", "S1", "extra", 3)]


def test_a_refused_member_of_a_zip_is_named_with_the_zip(tmp_path: Path) -> None:
    path = zip_of(tmp_path / "upload.zip", {"Person.csv": "Key\nZoé\n".encode("cp1252")})
    with pytest.raises(UploadRefused) as caught:
        read_workbook(path)
    assert caught.value.file == "upload.zip"
    assert str(caught.value).startswith("upload.zip: `Person.csv`: line 2 is not UTF-8 text")
