"""The CSV connection reads files exactly as HR systems write them (SPEC §3.1)."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headcount.config.model import Connection
from headcount.connections import csvfile
from headcount.connections.csvfile import read_csv
from headcount.errors import SourceError

value = st.text(alphabet=st.characters(codec="latin-1", exclude_characters="\x00\r"),
                max_size=8)


def _conn(**kwargs: object) -> Connection:
    return Connection.model_validate({"identifier": "X", "path": "x", **kwargs})


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(value, min_size=3, max_size=3), max_size=12),
       separator=st.sampled_from([",", ";", "\t", "|"]),
       encoding=st.sampled_from(["utf-8", "latin-1", "utf-8-sig"]),
       newline=st.sampled_from(["\n", "\r\n"]))
def test_what_csv_writes_is_read_back_exactly(rows: list[list[str]], separator: str,
                                              encoding: str, newline: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator=newline)
    writer.writerow(["A", "B", "C"])
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        path.write_bytes(buffer.getvalue().encode(encoding))
        table = read_csv(path, _conn(separator=separator, encoding=encoding))
    assert not table.rejected
    got = [[v or "" for v in r] for r in table.frame.select("A", "B", "C").rows()]
    assert got == rows


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(st.lists(st.text(alphabet="ab é;", max_size=4), min_size=1, max_size=4),
                      max_size=10))
def test_fast_path_and_reference_reader_agree(lines: list[list[str]]) -> None:
    text = "A;B;C\n" + "".join(";".join(r) + "\n" for r in lines)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        path.write_text(text, encoding="utf-8")
        conn = _conn(separator=";")
        fast = csvfile._read_unquoted(path, conn, "utf-8")
        reference = csvfile._read(path, conn, "utf-8")
    assert fast is not None
    assert fast.frame.rows() == reference.frame.rows()
    assert fast.rejected == reference.rejected


@pytest.mark.parametrize("data", [
    b"A,B\r1,x\r2,y\r",  # old Mac line ends
    b"A,B\r\n1,x\r\n2,y\r",  # one at the very end
    b"A,B\r\n1,x\r\r\n2,y\r\n",  # one before a CRLF
    b"A,B\n1,x\r2,y\n",  # one inside a line
])
def test_a_carriage_return_ending_no_line_leaves_the_fast_path(tmp_path: Path,
                                                                data: bytes) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    assert csvfile._read_unquoted(path, _conn(), "utf-8") is None
    reference = csvfile._read(path, _conn(), "utf-8")
    assert read_csv(path, _conn()).frame.rows() == reference.frame.rows()


def test_crlf_files_take_the_fast_path(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"A,B\r\n1,x\r\n\r\n2,y\r\n")
    fast = csvfile._read_unquoted(path, _conn(), "utf-8")
    assert fast is not None
    assert fast.frame.rows() == csvfile._read(path, _conn(), "utf-8").frame.rows() == [
        ("1", "x", 2), ("2", "y", 4)]


def test_quoted_newlines_keep_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b'A,B\r\n1,"two\r\nlines"\r\n2,x\r\n3\r\n')
    table = read_csv(path, _conn())
    assert table.frame.rows() == [("1", "two\r\nlines", 2), ("2", "x", 4)]
    assert [(r.line, r.reason) for r in table.rejected] == [(5, "1 fields where the header has 2")]


def test_lines_to_skip_trim_and_columns_without_header(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("exported 2026-11-26\n*A*,,B\n*1*,ignored, x\n", encoding="utf-8")
    table = read_csv(path, _conn(lines_to_skip=1, values_to_trim=["*", " "]))
    assert table.header == ["A", "B"]
    assert table.frame.rows() == [("1", "x", 3)]


def test_bom_wins_over_the_declared_encoding(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"\xef\xbb\xbfA\n\xc3\xa9\n")
    table = read_csv(path, _conn(encoding="latin-1"))
    assert table.frame.rows() == [("é", 2)]


def test_wrong_encoding_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes("A,B\nok,fine\nx,Zo\xe9\n".encode("latin-1"))
    with pytest.raises(SourceError) as caught:
        read_csv(path, _conn())
    assert "f.csv, line 3, column 5" in str(caught.value)
    assert "encoding" in str(caught.value)


def test_duplicate_header_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("A,B,A\n1,2,3\n", encoding="utf-8")
    with pytest.raises(SourceError, match="column `A` appears twice"):
        read_csv(path, _conn())


def test_path_regex_with_a_date_format_takes_the_latest_date_in_a_name(tmp_path: Path) -> None:
    newer, old = tmp_path / "hr_20261126.csv", tmp_path / "hr_20261120.csv"
    newer.write_text("A\n2\n")
    # The old file delivered again, after the new one: created last, it must not win.
    old.write_text("A\n1\n")
    pattern = r"hr_(?P<date>\d{8})\.csv"
    assert csvfile.resolve_path(tmp_path, pattern, True, "%Y%m%d") == newer
    (tmp_path / "hr_20261131.csv").write_text("A\n3\n")  # no 31 November: never skipped
    with pytest.raises(SourceError, match=r"`hr_20261131.csv` matches the pattern but its "
                                          r"group `date` \('20261131'\) is not a date"):
        csvfile.resolve_path(tmp_path, pattern, True, "%Y%m%d")
    (tmp_path / "hr_20261131.csv").unlink()
    assert csvfile.resolve_path(tmp_path, r"hr_(?P<day>\d{8})\.csv", True, "%Y%m%d",
                                "day") == newer


def test_path_regex_takes_the_most_recent_file(tmp_path: Path) -> None:
    import os

    old, new = tmp_path / "hr_20261125.csv", tmp_path / "hr_20261126.csv"
    old.write_text("A\n1\n")
    new.write_text("A\n2\n")
    os.utime(old, (1, 1))
    chosen = csvfile.resolve_path(tmp_path, r"hr_\d{8}\.csv", is_regex=True)
    assert chosen.name in {"hr_20261126.csv", "hr_20261125.csv"}
