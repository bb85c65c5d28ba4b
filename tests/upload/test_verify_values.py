"""Cells as values (SPEC §9): what the template writes and what people type read back as the
value stored — dates in every accepted spelling, and parsing what was parsed changes nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headcount.cells import formula_safe
from headcount.config.model import Property, PropertyType
from headcount.upload.values import parse_value

DAY = Property(identifier="Day", type=PropertyType.DATE)
MOMENT = Property(identifier="Moment", type=PropertyType.DATETIME)
KIND = Property(identifier="Kind", type=PropertyType.ENUM, values=["permanent", "fixed-term"])
TYPES = [DAY, MOMENT, KIND, Property(identifier="Flag", type=PropertyType.BOOL),
         Property(identifier="Count", type=PropertyType.INT),
         Property(identifier="Rate", type=PropertyType.DECIMAL),
         Property(identifier="Name"),
         Property(identifier="Site", type=PropertyType.NAVIGATION, target="Directory_Site")]
days = st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31))


def serial(day: date) -> int:
    return (day - date(1899, 12, 30)).days


@given(days, st.sampled_from(["%d/%m/%Y", "%Y-%m-%d", "%-d/%-m/%Y", "serial"]))
def test_a_date_written_then_parsed_gives_it_back(day: date, spelling: str) -> None:
    text = str(serial(day)) if spelling == "serial" else day.strftime(spelling)
    if spelling != "%Y-%m-%d":
        text = text.lstrip("0") if spelling == "%-d/%-m/%Y" else text
    assert parse_value(DAY, f" {text} ") == day.isoformat()


@given(st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 12, 30),
                    timezones=st.none()).map(lambda m: m.replace(second=0, microsecond=0)))
def test_a_date_and_time_written_then_parsed_gives_it_back(moment: datetime) -> None:
    expected = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert parse_value(MOMENT, moment.strftime("%d/%m/%Y %H:%M")) == expected
    assert parse_value(MOMENT, moment.isoformat()) == expected
    fraction = (moment - datetime(1899, 12, 30)) / timedelta(days=1)
    assert parse_value(MOMENT, repr(fraction)) == expected


@given(st.sampled_from(TYPES), st.text(max_size=12))
def test_parsing_twice_equals_parsing_once(prop: Property, text: str) -> None:
    try:
        once = parse_value(prop, text)
    except ValueError:
        return
    assert parse_value(prop, once) == once


# Python's strip also takes the separators \x1c-\x1f off, which are not Unicode white space.
@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")) | st.sampled_from("\t\r'=+-@"),
               max_size=20))
def test_text_comes_back_as_written_through_formula_safe(text: str) -> None:
    assert parse_value(Property(identifier="Name"), formula_safe(text)) == (
        text.strip() or None)


@pytest.mark.parametrize(("prop", "text", "message"), [
    (DAY, "31/02/2026", "`31/02/2026` is not a date: write DD/MM/YYYY, e.g. 28/02/2026"),
    (DAY, "2958466", "`2958466` is not a date: write DD/MM/YYYY, e.g. 28/02/2026"),
    (KIND, "interim", "`interim` is not one of: permanent, fixed-term"),
])
def test_a_bad_value_says_what_to_write(prop: Property, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_value(prop, text)


@pytest.mark.parametrize(("prop", "text", "value"), [
    (KIND, "Fixed-Term", "fixed-term"), (DAY, "NULL_NULL", None), (DAY, "", None),
    (TYPES[3], "Yes", "true"), (TYPES[3], "0", "false"), (TYPES[7], " PAR ; LYO;", "PAR;LYO"),
])
def test_values_take_their_canonical_form(prop: Property, text: str, value: str | None) -> None:
    assert parse_value(prop, text) == value
