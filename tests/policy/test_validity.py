"""Which day it is where a person works, and when that day begins (headcount.policy.validity):
a date evaluation finds a transition due from the instant `day_begins` gives, so it must be the
very first instant at which `local_today` reads that day or a later one — across daylight
saving jumps over midnight and the days some zones skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import given, settings
from hypothesis import strategies as st

from headcount.policy.validity import day_begins, local_today, zone_of

ZONES = sorted(available_timezones())
TICK = timedelta(microseconds=1)


@settings(max_examples=400, deadline=None)
@given(zone=st.sampled_from(ZONES), day=st.dates(date(1980, 1, 1), date(2060, 12, 31)))
def test_a_day_begins_at_the_first_instant_it_is_that_day_there(zone: str, day: date) -> None:
    begins = day_begins(day, ZoneInfo(zone))
    assert local_today(begins, zone, "UTC") >= day
    assert local_today(begins - TICK, zone, "UTC") < day


def test_a_day_a_zone_skipped_begins_with_the_next() -> None:
    # Samoa moved west of the date line: 30 December 2011 never happened in Apia.
    apia = ZoneInfo("Pacific/Apia")
    assert day_begins(date(2011, 12, 30), apia) == day_begins(date(2011, 12, 31), apia)


def test_a_clock_jumping_over_midnight_begins_the_day_after_the_jump() -> None:
    # Santiago went from 23:59:59 on 7 September 2024 to 01:00 on the 8th.
    begins = day_begins(date(2024, 9, 8), ZoneInfo("America/Santiago"))
    assert begins == datetime(2024, 9, 8, 4, 0, tzinfo=UTC)
    assert begins.astimezone(ZoneInfo("America/Santiago")).hour == 1


def test_an_unknown_zone_reads_the_default_then_utc() -> None:
    assert zone_of("Mars/Olympus", "Europe/Paris") == ZoneInfo("Europe/Paris")
    assert zone_of(None, "Nowhere") is UTC
