"""Typed parsing: one canonical text per value, and a clear error for what does not parse."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from headcount.config.model import Connection, Property
from headcount.sync.values import parse_column, parse_column_of


def _parse(values: list[str | None], prop: dict[str, object], **conn: object
           ) -> list[tuple[str | None, bool]]:
    p = Property.model_validate({"identifier": "V", **prop})
    c = Connection.model_validate({"identifier": "C", "path": "x", **conn})
    parsed = parse_column("v", p, c)
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    out = frame.select(parsed.value.alias("value"), parsed.invalid.alias("bad"))
    return [(v, bool(b)) for v, b in out.iter_rows()]


@pytest.mark.parametrize(("prop", "conn", "raw", "expected"), [
    ({"type": "int"}, {}, [" 042", "-7", "4.2", None], [("42", False), ("-7", False),
                                                        (None, True), (None, False)]),
    ({"type": "decimal"}, {}, ["+1.50", "2.", ".5", "1,5"], [("1.5", False), ("2", False),
                                                             (".5", False), (None, True)]),
    ({"type": "bool"}, {}, ["Oui", "no", "Y", "maybe"], [("true", False), ("false", False),
                                                        ("true", False), (None, True)]),
    ({"type": "date"}, {"date_formats": ["%d/%m/%Y"]}, ["3/1/2024", "31/02/2024", "2024-01-03"],
     [("2024-01-03", False), (None, True), ("2024-01-03", False)]),
    ({"type": "datetime"}, {"timezone": "Asia/Tokyo"}, ["2026-11-26 09:00:00"],
     [("2026-11-26T00:00:00Z", False)]),
    ({"type": "enum", "values": ["Permanent", "Fixed-term"]}, {}, ["fixed-TERM", "temp"],
     [("Fixed-term", False), (None, True)]),
])
def test_canonical_forms(prop: dict[str, object], conn: dict[str, object], raw: list[str | None],
                         expected: list[tuple[str | None, bool]]) -> None:
    assert _parse(raw, prop, **conn) == expected


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)))
def test_any_date_in_a_declared_format_reads_back_the_same(day: date) -> None:
    text = day.strftime("%d/%m/%Y")
    assert _parse([text], {"type": "date"}, date_formats=["%d/%m/%Y"]) == [
        (day.isoformat(), False)]


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_any_int_reads_back_the_same(n: int) -> None:
    assert _parse([str(n)], {"type": "int"}) == [(str(n), False)]


def test_a_datetime_naming_its_offset_is_that_instant_whatever_the_time_zone() -> None:
    # What directory readers and headcount itself write (lastLogonTimestamp, whenCreated): it
    # was set aside as invalid, so an account export lost every account that had logged on.
    raw: list[str | None] = [
        "2026-05-01T10:00:00Z", "2026-05-01T12:00:00+02:00", "2026-05-01T10:00:00.250Z",
        "2026-05-01 10:00:00Z", "2026-05-01T10:00:00"]
    assert _parse(raw, {"type": "datetime"}, timezone="Europe/Paris") == [
        ("2026-05-01T10:00:00Z", False), ("2026-05-01T10:00:00Z", False),
        ("2026-05-01T10:00:00Z", False), ("2026-05-01T10:00:00Z", False),
        ("2026-05-01T08:00:00Z", False)]


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2999, 12, 31)))
def test_a_stored_datetime_reads_back_the_same(instant: datetime) -> None:
    text = instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _parse([text], {"type": "datetime"}, timezone="America/New_York") == [(text, False)]


def test_a_date_from_an_instant_is_its_day_in_the_connection_time_zone() -> None:
    assert _parse(["2026-05-01T23:30:00Z"], {"type": "date"}, timezone="Europe/Paris") == [
        ("2026-05-02", False)]


@pytest.mark.parametrize("raw", [
    ["3/1/2024", None, " 28/02/1999 "],  # every value in the first format: parsed in it alone
    ["3/1/2024", "2024-01-03", "31/02/2024", "  ", None],  # not: every candidate, as always
])
def test_a_date_column_reads_the_same_with_or_without_the_first_format_shortcut(
        raw: list[str | None]) -> None:
    p = Property.model_validate({"identifier": "V", "type": "date"})
    c = Connection.model_validate({"identifier": "C", "path": "x",
                                   "date_formats": ["%d/%m/%Y", "%Y/%m/%d"]})
    frame = pl.DataFrame({"v": raw}, schema={"v": pl.String})
    full, quick = parse_column("v", p, c), parse_column_of(frame, "v", p, c)
    assert frame.select(quick.value, quick.invalid.alias("bad")).rows() == \
        frame.select(full.value, full.invalid.alias("bad")).rows()
