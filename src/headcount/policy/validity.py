"""Dates of identities (SPEC §5, §8): which day it is where a person works, and whether they are
pre-hire, active or left on that day. End dates are inclusive: a leaver whose last day is the
26th in Tokyo is active until midnight Tokyo time, and left from then on."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

State = Literal["pre-hire", "active", "left"]
PRE_HIRE: State = "pre-hire"
ACTIVE: State = "active"
LEFT: State = "left"


@cache
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_of(zone: Any, default: str) -> tzinfo:
    """`zone` (an IANA name), or `default` when the zone is missing or unknown, or UTC."""
    found = _zone(str(zone)) if zone else None
    return found or _zone(default) or UTC


def local_today(now: datetime, zone: Any, default: str) -> date:
    """The calendar day at instant `now` in `zone` (an IANA name), or in `default` when the zone
    is missing or unknown."""
    return now.astimezone(zone_of(zone, default)).date()


def day_begins(day: date, tz: tzinfo) -> datetime:
    """The first instant (UTC) from which the calendar day in `tz` is `day` or later: its
    midnight; the end of the gap where a clock jumps over midnight (zoneinfo reads a missing
    time with the offset before the jump, which lands just after it); the next day's midnight
    where a zone skipped the day (Samoa's 30 December 2011)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def state_on(start: date | None, end: date | None, today: date) -> State:
    if start is not None and today < start:
        return PRE_HIRE
    if end is not None and today > end:
        return LEFT
    return ACTIVE


def day_before(day: date) -> date:
    return day - timedelta(days=1)
