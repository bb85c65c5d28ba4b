"""Zips refused from their directory before anything is inflated: bombs, thousands of members,
too much data once unpacked, passwords."""

from __future__ import annotations

import zipfile
from pathlib import Path

from headcount.upload.workbook import UploadLimits
from uploadfiles import refusal, rewrite_zip, write_xlsx, zip_of


def test_a_zip_bomb_is_refused_from_the_directory(tmp_path: Path) -> None:
    # 64 MB of zeros deflate to some 64 KB: a thousand times smaller.
    path = zip_of(tmp_path / "people.zip", {"Person.csv": b"Key\n" + bytes(64 * 1024 * 1024)})
    message = refusal(path)
    assert message.startswith("people.zip: `Person.csv` would grow")
    assert "zip bomb" in message


def test_a_workbook_part_that_inflates_too_much_is_refused(tmp_path: Path) -> None:
    book = write_xlsx(tmp_path / "book.xlsx", {"Person": [["Key"]]})
    path = rewrite_zip(book, tmp_path / "bomb.xlsx",
                       {"docProps/custom.xml": b" " * (32 * 1024 * 1024)})
    assert "`docProps/custom.xml` would grow" in refusal(path)


def test_too_much_data_once_unpacked_is_refused(tmp_path: Path) -> None:
    path = zip_of(tmp_path / "people.zip", {f"T{i}.csv": b"Key\n1\n" * 1000 for i in range(3)})
    message = refusal(path, UploadLimits(max_uncompressed_bytes=10_000))
    assert message.startswith("people.zip: once unpacked the file would hold")


def test_a_zip_with_thousands_of_members_is_refused(tmp_path: Path) -> None:
    path = zip_of(tmp_path / "many.zip", {f"T{i}.csv": b"Key\n" for i in range(5000)})
    assert "many.zip: the file holds 5,000 parts, more than the 1,000" in refusal(path)


def test_a_member_with_a_password_is_refused(tmp_path: Path) -> None:
    path = zip_of(tmp_path / "secret.zip", {"Person.csv": b"Key\nE1\n"})
    # zipfile cannot encrypt: set the "encrypted" flag of the member in the central directory.
    data = bytearray(path.read_bytes())
    entry = data.index(b"PK\x01\x02")
    data[entry + 8] |= 0x1
    path.write_bytes(bytes(data))
    assert "secret.zip: `Person.csv` is protected by a password" in refusal(path)


def test_a_member_whose_size_lies_is_refused(tmp_path: Path) -> None:
    path = zip_of(tmp_path / "liar.zip", {"Person.csv": b"Key\n" + b"E1\n" * 10_000})
    data = bytearray(path.read_bytes())
    # The directory says 10 bytes; the data inflates to 30 KB: zipfile stops at 10 and the
    # checksum no longer matches.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.index(signature) + offset
        data[at:at + 4] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    assert "liar.zip: `Person.csv` is damaged" in refusal(path)


def test_a_zip_holding_something_else_than_csv_is_refused(tmp_path: Path) -> None:
    path = zip_of(tmp_path / "mixed.zip", {"Person.csv": b"Key\n", "run.exe": b"MZ"})
    assert "mixed.zip: `run.exe` is not a CSV file" in refusal(path)
    assert zipfile.is_zipfile(path)


def test_a_member_under_a_megabyte_is_ratio_checked_too(tmp_path: Path) -> None:
    # Hundreds of such members, each just under the old 1 MB floor, added up to 465 MB.
    book = write_xlsx(tmp_path / "book.xlsx", {"Person": [["Key"]]})
    path = rewrite_zip(book, tmp_path / "bomb.xlsx",
                       {"xl/worksheets/sheet1.xml": b"<c><v>1</v></c>" * 60_000})
    assert "bomb.xlsx: `xl/worksheets/sheet1.xml` would grow" in refusal(path)


def test_more_than_200_megabytes_once_unpacked_is_refused_by_default(tmp_path: Path) -> None:
    path = zip_of(tmp_path / "people.zip", {f"T{i}.csv": b"Key\n" for i in range(10)})
    # The directory says each member inflates from 3 MB to 21 MB, well under the ratio: all
    # together they hold too much, refused before anything is inflated.
    data = bytearray(path.read_bytes())
    entry = data.find(b"PK\x01\x02")
    while entry >= 0:
        data[entry + 20:entry + 28] = ((3 << 20).to_bytes(4, "little")
                                       + (21 << 20).to_bytes(4, "little"))
        entry = data.find(b"PK\x01\x02", entry + 4)
    path.write_bytes(bytes(data))
    assert refusal(path).startswith("people.zip: once unpacked the file would hold 210 MB, more "
                                    "than the 200 MB an upload may hold")
