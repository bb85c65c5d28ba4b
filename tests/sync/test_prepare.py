"""Prepare: the stored hash is stable across versions, values take their canonical form."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from headcount import frames
from headcount.config.model import Connection, Connector
from headcount.connections.csvfile import read_csv
from headcount.sync.prepare import prepare_entities
from headcount.sync.prepared import DATA, HASH, KEY

SETTINGS: dict[str, Any] = {
    "identifier": "HR",
    "connections": [{"identifier": "P", "path": "p.csv", "date_formats": ["%d/%m/%Y"]}],
    "entity_types": [{"identifier": "T", "properties": [
        {"identifier": "K"}, {"identifier": "N", "type": "int"},
        {"identifier": "D", "type": "date"}, {"identifier": "B", "type": "bool"},
        {"identifier": "X", "type": "decimal"},
        {"identifier": "E", "type": "enum", "values": ["Permanent", "Interim"]},
        {"identifier": "M", "type": "navigation", "target": "T", "flip": "Ms"}]}],
    "mappings": [{"entity_type": "T", "connection": "P", "key": "K",
                  "columns": {"K": "K", "N": "N", "D": "D", "B": "B", "X": "X", "E": "E"}}],
    "associations": [{"navigation": "T.M", "connection": "P", "column": "M"}],
}
CONNECTOR = Connector.model_validate(SETTINGS)


def _several() -> Connector:
    """CONNECTOR with a multivalued navigation (split on `;`) and a date and time."""
    settings = copy.deepcopy(SETTINGS)
    settings["connections"][0].update(multivalue_separator=";", timezone="Europe/Paris")
    properties = settings["entity_types"][0]["properties"]
    properties[-1]["multivalued"] = True
    properties.insert(-1, {"identifier": "W", "type": "datetime"})
    settings["mappings"][0]["columns"]["W"] = "W"
    return Connector.model_validate(settings)


SEVERAL = _several()


def _prepare(tmp_path: Path, text: str, connector: Connector = CONNECTOR):  # type: ignore[no-untyped-def]
    path = tmp_path / "p.csv"
    path.write_text(text, encoding="utf-8")
    connection = connector.connections[0]
    assert isinstance(connection, Connection)
    table = read_csv(path, connection)
    return prepare_entities(table, connector, connector.mappings[0], connector.associations,
                            incremental=False)


def test_canonical_values_and_a_hash_pinned_across_upgrades(tmp_path: Path) -> None:
    prep = _prepare(tmp_path, "K,N,D,B,X,E,M\nk1, 042 ,3/1/2024,Oui,+1.50,interim,k2\n")
    row = prep.frame.row(0, named=True)
    assert row[KEY] == "k1"
    assert row[DATA] == ('{"K":"k1","N":"42","D":"2024-01-03","B":"true","X":"1.5",'
                         '"E":"Interim"}')
    assert row["nav:T.M"] == ["k2"]
    # If this changes, every stored resource looks changed after an upgrade: the hash must be a
    # stable function (XXH64 of the canonical text), never a library's internal one.
    assert row[HASH] == STABLE_HASH


STABLE_HASH = -8998581376020821590


def test_a_blank_between_separators_names_no_target(tmp_path: Path) -> None:
    text = "K,N,D,B,X,E,W,M\nk1,1,1/1/2024,oui,1,interim,,k2; ;k3;;k2\n"
    row = _prepare(tmp_path, text, SEVERAL).frame.row(0, named=True)
    assert row["nav:T.M"] == ["k2", "k3"]


def _large_file(rows: int) -> str:
    """A file split into many batches by polars' streaming engine: keys out of order, repeated
    keys (identical and conflicting), values to parse and values that do not parse."""
    lines = ["K,N,D,B,X,E,W,M"]
    for i in range(rows):
        k = (i * 7919) % rows  # every key once, out of order
        date = "31/2/2024" if i % 9973 == 0 else f"{1 + i % 28}/{1 + i % 12}/20{i % 30:02d}"
        when = f"2026-03-{1 + i % 28:02d}T{i % 24:02d}:30:00" + ("Z" if i % 5 == 0 else "")
        lines.append(f"k{k}, {i % 1000} ,{date},{'oui' if i % 2 else 'non'},+{i % 97}.50,"
                     f"{'interim' if i % 3 else 'Permanent'},{when},"
                     f"k{(k + 1) % rows};k{k // 2}; ;k{k // 2}")
        if i % 40_009 == 7:
            lines.append(lines[-1] + ",one field too many")  # ragged: set aside
        if i % 50_021 == 0:
            lines.append(lines[-1])  # the same row again: kept once
        if i % 70_001 == 1:
            lines.append(lines[-1].replace(f" {i % 1000} ", " 5 "))  # a conflicting one
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_both_polars_engines_prepare_the_same_rows_in_the_same_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The streaming engine (frames.ENGINE) evaluates batches of rows in parallel; it must give what
    # the eager, one-thread evaluation gives, row for row, set-aside rows and warnings too.
    text = _large_file(300_000)
    prepared = {}
    for engine in ("in-memory", "streaming"):
        monkeypatch.setattr(frames, "ENGINE", engine)
        prepared[engine] = _prepare(tmp_path, text, SEVERAL)
    eager, streamed = prepared["in-memory"], prepared["streaming"]
    assert streamed.frame.equals(eager.frame)
    assert streamed.frame.height > 299_000
    assert streamed.frame.get_column(KEY).is_sorted()
    assert streamed.frame.get_column("nav:T.M").list.len().max() == 2  # split, blank dropped
    assert len(eager.set_aside) > 30
    assert streamed.set_aside == eager.set_aside
    assert eager.warnings
    assert streamed.warnings == eager.warnings
    assert streamed.held_keys == eager.held_keys
