"""Transformations between export and prepare (SPEC §3.2)."""

from __future__ import annotations

from pathlib import Path

from headcount.config.model import Connection
from headcount.connections.csvfile import read_csv
from headcount.connections.transform import apply_transformations


def _read(tmp_path: Path, text: str, **settings: object) -> list[tuple[object, ...]]:
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8")
    conn = Connection.model_validate({"identifier": "X", "path": "f.csv", **settings})
    table = apply_transformations(read_csv(path, conn), conn)
    return table.frame.drop("__line").rows()


def test_date_shift_within_a_year_range(tmp_path: Path) -> None:
    rows = _read(tmp_path, "K,End\n1,31/12/2025\n2,31/12/9999\n3,\n",
                 date_formats=["%d/%m/%Y"],
                 transformations=[{"type": "date_shift", "columns": ["End"], "days": 1,
                                   "years": [1900, 2100]}])
    assert rows == [("1", "01/01/2026"), ("2", "31/12/9999"), ("3", None)]


def test_fractional_date_shift_gives_end_of_day(tmp_path: Path) -> None:
    rows = _read(tmp_path, "K,End\n1,2025-12-31\n",
                 transformations=[{"type": "date_shift", "columns": ["End"],
                                   "days": 0.9999884259259259}])
    assert rows == [("1", "2025-12-31T23:59:59")]


def test_row_filters(tmp_path: Path) -> None:
    text = "K,Status\n1,ACTIVE\n2,TEST-1\n3,\n4,active\n"
    keep = _read(tmp_path, text, transformations=[
        {"type": "filter", "column": "Status", "operator": "not_equals", "value": "TEST-1"},
        {"type": "filter", "column": "Status", "operator": "matches", "value": "(?i)^active$"}])
    assert keep == [("1", "ACTIVE"), ("4", "active")]
    starts = _read(tmp_path, text, transformations=[
        {"type": "filter", "column": "Status", "operator": "starts_with", "value": "TEST"}])
    assert starts == [("2", "TEST-1")]


def test_concatenate_drops_empties_and_duplicates_and_sorts(tmp_path: Path) -> None:
    rows = _read(tmp_path, "K,A,B,C\n1,b,,a\n2,x,x,\n3,,,\n", transformations=[
        {"type": "concatenate", "columns": ["A", "B", "C"], "into": "All", "separator": "|",
         "drop_duplicates": True, "sort": True}])
    assert [r[-1] for r in rows] == ["a|b", "x", None]


def test_a_fractional_shift_still_parses_as_a_date_or_a_datetime(tmp_path: Path) -> None:
    from headcount.config.model import Connector
    from headcount.sync.prepare import prepare_entities

    connector = Connector.model_validate({
        "identifier": "HR",
        "connections": [{"identifier": "P", "path": "p.csv", "date_formats": ["%d/%m/%Y"],
                         "timezone": "Europe/Paris",
                         "transformations": [{"type": "date_shift", "columns": ["D", "T"],
                                              "days": 0.9999884259259259}]}],
        "entity_types": [{"identifier": "X", "properties": [
            {"identifier": "K"}, {"identifier": "D", "type": "date"},
            {"identifier": "T", "type": "datetime"}]}],
        "mappings": [{"entity_type": "X", "connection": "P", "key": "K",
                      "columns": {"K": "K", "D": "D", "T": "T"}}],
    })
    path = tmp_path / "p.csv"
    path.write_text("K,D,T\nk,31/12/2025,31/12/2025\n", encoding="utf-8")
    conn = connector.connections[0]
    assert isinstance(conn, Connection)
    table = apply_transformations(read_csv(path, conn), conn)
    prep = prepare_entities(table, connector, connector.mappings[0], [], incremental=False)
    assert not prep.set_aside
    assert prep.frame["__data"][0] == '{"K":"k","D":"2025-12-31","T":"2025-12-31T22:59:59Z"}'
