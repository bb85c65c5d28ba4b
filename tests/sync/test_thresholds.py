"""Thresholds: counts and percents, per connector and per entity type (SPEC §4.4)."""

from __future__ import annotations

import polars as pl

from headcount.config.model import Connector
from headcount.sync.changes import RESOURCE_SCHEMA, ChangeSet
from headcount.sync.thresholds import check_thresholds


def _changes(kind: str, n: int, et: str = "P") -> ChangeSet:
    rows = [{"kind": kind, "entity_type": et, "key": f"k{i}", "data": "{}", "after": None,
             "hash": 0, "connection": "C", "line": i} for i in range(n)]
    return ChangeSet(pl.DataFrame(rows, schema=RESOURCE_SCHEMA))


def _connector(**thresholds: object) -> Connector:
    return Connector.model_validate({"identifier": "HR", "thresholds": thresholds})


def test_defaults_five_percent_and_a_hundred() -> None:
    assert check_thresholds(_connector(), _changes("delete", 5), {"P": 100}, {}) == []
    crossed = check_thresholds(_connector(), _changes("delete", 6), {"P": 100}, {})
    assert [str(c) for c in crossed] == [
        "connector HR: max_deleted_pct = 5 % exceeded (6.0 %)"]
    many = check_thresholds(_connector(), _changes("insert", 101), {"P": 1_000_000}, {})
    assert [c.setting for c in many] == ["max_inserted"]


def test_given_values_replace_the_defaults() -> None:
    lax = _connector(max_deleted_pct=50)
    assert check_thresholds(lax, _changes("delete", 40), {"P": 100}, {}) == []
