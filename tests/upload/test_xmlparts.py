"""A workbook part that declares XML entities (external entities, billion laughs) is refused
before any XML parser reads it, whichever part it is in and however it is encoded."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from headcount.upload.workbook import UploadRefused, read_workbook
from uploadfiles import EXTERNAL_ENTITY, rewrite_zip, write_xlsx

EXTERNAL = EXTERNAL_ENTITY
LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;")
                                                     * 10) for i in range(1, 10))
          + b']>\n<cp:coreProperties xmlns:cp="x"><cp:keywords>&lol9;</cp:keywords>'
          b"</cp:coreProperties>")


@pytest.mark.parametrize(("part", "content"), [
    ("xl/sharedStrings.xml", EXTERNAL),
    ("docProps/core.xml", LAUGHS),
    ("xl/worksheets/sheet1.xml", EXTERNAL.replace(b"sst", b"worksheet")),
    ("xl/workbook.xml", EXTERNAL.replace(b"sst", b"workbook")),
    ("[Content_Types].xml", EXTERNAL.replace(b"sst", b"Types")),
    # UTF-16 hides the declaration from a search of the bytes as they are.
    ("xl/styles.xml", EXTERNAL.decode().replace("UTF-8", "UTF-16").encode("utf-16")),
])
def test_an_entity_declaration_is_refused_in_any_part(tmp_path: Path, part: str,
                                                      content: bytes) -> None:
    book = write_xlsx(tmp_path / "clean.xlsx", {"Person": [["Key"], ["E1"]]})
    path = rewrite_zip(book, tmp_path / "people.xlsx", {part: content})
    with pytest.raises(UploadRefused) as caught:
        read_workbook(path)
    assert str(caught.value).startswith(f"people.xlsx: the part `{part}` declares XML entities")
    assert "was not made by Excel" in str(caught.value)


def test_a_clean_workbook_has_no_declaration(tmp_path: Path) -> None:
    book = write_xlsx(tmp_path / "clean.xlsx", {"Person": [["<!DOCTYPE is text here"]]})
    assert read_workbook(book).sheets[0].frame["A"].to_list() == ["<!DOCTYPE is text here"]
    with zipfile.ZipFile(book) as archive:
        assert b"&lt;!DOCTYPE" in archive.read("xl/sharedStrings.xml")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_an_xml_part_in_utf16_without_a_mark_is_refused(tmp_path: Path, encoding: str) -> None:
    # A space before the declaration hides it from the scan for "<" in UTF-16.
    hidden = b" " + EXTERNAL.split(b"\n", 1)[1].replace(b"sst", b"workbook")
    book = write_xlsx(tmp_path / "clean.xlsx", {"Person": [["Key"], ["E1"]]})
    path = rewrite_zip(book, tmp_path / "people.xlsx",
                       {"xl/workbook.xml": hidden.decode().encode(encoding)})
    with pytest.raises(UploadRefused) as caught:
        read_workbook(path)
    assert str(caught.value) == ("people.xlsx: the part `xl/workbook.xml` is not in UTF-8, the "
                                 "encoding Excel writes: the file was not made by Excel; save it "
                                 "again from Excel")
