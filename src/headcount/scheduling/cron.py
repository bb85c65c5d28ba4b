"""Cron schedules (5 fields, croniter) read in a job's time zone: when a job fires, and how a
schedule reads in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter


def previous_fire(schedule: str, time_zone: str, now: datetime) -> datetime:
    """The newest instant ≤ now at which the schedule fires, in UTC."""
    # croniter's get_prev is strictly before its start: start one second later, so that a
    # tick at exactly 02:00:00 is its own.
    start = (now + timedelta(seconds=1)).astimezone(ZoneInfo(time_zone))
    fired: datetime = croniter(schedule, start).get_prev(datetime)
    return fired.astimezone(UTC)


def next_fire(schedule: str, time_zone: str, now: datetime) -> datetime:
    """The first instant > now at which the schedule fires, in UTC."""
    start = now.astimezone(ZoneInfo(time_zone))
    fired: datetime = croniter(schedule, start).get_next(datetime)
    return fired.astimezone(UTC)


_WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def in_words(schedule: str, time_zone: str) -> str:
    """"every day at 02:00 (UTC)", "every 15 minutes", or the expression itself when it has no
    simple reading. English: the web UI translates the common shapes itself."""
    minute, hour, day, month, weekday = schedule.split()
    zone = f" ({time_zone})"
    if (minute.startswith("*/") and hour == "*" and day == "*" and month == "*"
            and weekday == "*"):
        return f"every {minute[2:]} minutes"
    if minute.isdigit() and hour.isdigit() and day == "*" and month == "*":
        at = f"{int(hour):02d}:{int(minute):02d}"
        if weekday == "*":
            return f"every day at {at}{zone}"
        if weekday.isdigit() and int(weekday) <= 7:
            return f"every {_WEEKDAYS[int(weekday) % 7]} at {at}{zone}"
    if minute.isdigit() and hour == "*" and day == "*" and month == "*" and weekday == "*":
        return f"every hour at minute {int(minute)}"
    return f"cron `{schedule}`{zone}"
