"""A delivery's archive gives back the tables the agent exported: frames, file info, header,
rejected and spanning rows, warnings — and refuses what is not one."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from headcount.agents import bundle
from headcount.agents.bundle import BundleError
from headcount.connections.reader import RejectedRow, SourceFile, SourceTable, SpanningRecord


def test_tables_come_back_as_they_were_sent() -> None:
    people = SourceTable(
        file=SourceFile("HR_People", Path("/srv/hr/data/hr_people.csv"), 1234, "ab" * 32, 3,
                        "latin-1"),
        header=["id", "name"],
        frame=pl.DataFrame({"id": ["1", "2"], "name": ["Zoé", None], "__line": [2, 3]}),
        rejected=[RejectedRow(4, "ragged", {"id": "3"}, 4, "name")],
        warnings=["a stray BOM"], header_line=1,
        spanning=[SpanningRecord(2, 3, "a\nb", None)])
    server = SourceTable(file=SourceFile("AD", "ldap://dc/ou=x", 0, "cd" * 32, 0, "utf-8"),
                         header=[], frame=pl.DataFrame({"a": ["1"]}))
    manifest, tables = bundle.unpack(bundle.pack({"HR_People": people, "AD": server}, "HR",
                                                 "incremental"))
    assert (manifest["connector"], manifest["mode"]) == ("HR", "incremental")
    assert list(tables) == ["HR_People", "AD"]
    back = tables["HR_People"]
    assert back.file == people.file
    assert back.frame.equals(people.frame)
    assert back.frame.schema == people.frame.schema
    assert (back.header, back.rejected, back.warnings, back.spanning) == (
        people.header, people.rejected, people.warnings, people.spanning)
    assert tables["AD"].file.path == "ldap://dc/ou=x"


def test_what_is_not_a_delivery_is_refused() -> None:
    with pytest.raises(BundleError, match="cannot be read"):
        bundle.unpack(b"not a zip")
