"""CSV uploads: the CSV connection's encoding rules, the separator Excel used, and cells a
spreadsheet would run as formulas refused (a CSV keeps no saved value beside them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from headcount.upload.workbook import UploadLimits, UploadRefused, read_workbook
from uploadfiles import zip_of

REFUSE = UploadLimits(formulas="refuse")


def test_cells_that_would_run_as_formulas_are_refused_by_their_cells(tmp_path: Path) -> None:
    path = tmp_path / "Person.csv"
    path.write_text("Key,Name,Phone,Balance,Note\n"
                    "E1,=HYPERLINK(\"http://x\"),+33 6 12 34 56 78,-12.5,-\n"
                    "E2,@SUM(A1),0612,+1,-2+3+cmd|' /C calc'!A0\n", encoding="utf-8")
    with pytest.raises(UploadRefused) as caught:
        read_workbook(path)
    # A phone number, a signed number and a lone dash are no formulas.
    assert "(they start with = + - or @: cells B2, B3, E3)" in str(caught.value)


def test_a_csv_without_formulas_is_read(tmp_path: Path) -> None:
    path = tmp_path / "Person.csv"
    path.write_text("Key,Phone,Note\nE1,+33 6 12 34 56 78,-\nE2,-12.5,'=kept as text\n",
                    encoding="utf-8")
    sheet = read_workbook(path).sheets[0]
    assert sheet.formulas == ()
    assert sheet.frame["C"].to_list() == ["Note", "-", "'=kept as text"]


@pytest.mark.parametrize("limits", [UploadLimits(), REFUSE], ids=["cached", "refuse"])
def test_a_csv_with_formulas_is_refused_whatever_the_formulas_setting(
        tmp_path: Path, limits: UploadLimits) -> None:
    # A CSV holds no value Excel saved beside a formula: "cached" has nothing to read.
    path = tmp_path / "Person.csv"
    path.write_text("Key,Name\nE1,=1+2\n", encoding="utf-8")
    with pytest.raises(UploadRefused) as caught:
        read_workbook(path, limits)
    assert str(caught.value) == (
        "Person.csv: `Person` holds cells that a spreadsheet would run as formulas (they start "
        "with = + - or @: cells B2): remove them and upload the file again")


def test_a_zip_of_csv_files_with_formulas_is_refused_too(tmp_path: Path) -> None:
    path = zip_of(tmp_path / "upload.zip", {"Person.csv": b"Key\nE1\n", "Site.csv": b"Key\n@x\n"})
    with pytest.raises(UploadRefused, match=r"^upload.zip: `Site` holds cells .* cells A2\)"):
        read_workbook(path)


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
