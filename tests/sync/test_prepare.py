"""Prepare: the stored hash is stable across versions, values take their canonical form."""

from __future__ import annotations

from pathlib import Path

from headcount.config.model import Connection, Connector
from headcount.connections.csvfile import read_csv
from headcount.sync.prepare import prepare_entities
from headcount.sync.prepared import DATA, HASH, KEY

CONNECTOR = Connector.model_validate({
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
})


def _prepare(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "p.csv"
    path.write_text(text, encoding="utf-8")
    connection = CONNECTOR.connections[0]
    assert isinstance(connection, Connection)
    table = read_csv(path, connection)
    return prepare_entities(table, CONNECTOR, CONNECTOR.mappings[0], CONNECTOR.associations,
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
