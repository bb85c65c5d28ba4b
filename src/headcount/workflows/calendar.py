"""Deadlines in business days (issue 9, SPEC §7.3): a site's calendar — its weekend, its country's
public holidays (the `holidays` package), the holidays and working days the configuration
declares — and pure functions from a task's start to its deadline, reminders and escalations.

Days are days of the site's time zone and instants are time-zone-aware: a deadline is the last
instant of a business day there, whatever daylight saving time does that day. Nothing here reads
the clock: whoever asks what is due passes `now`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from headcount.config.calendar import WEEKDAYS, CalendarSpec
from headcount.config.validation import suggest

_DAY = timedelta(days=1)
_INSTANT = timedelta(microseconds=1)
DECLARED_HOLIDAY = "declared holiday"

Zone = ZoneInfo | str


class CalendarError(ValueError):
    """A calendar or a deadline asked for what cannot be: a naive instant, an unknown zone or
    country, negative days, a week without a working day."""


@dataclass(frozen=True, eq=False)
class Calendar:
    """The days a site works: every day but its weekend and its holidays — its country's public
    holidays (observed days included) and the declared ones — plus the declared working days,
    which win over both."""

    identifier: str
    weekend: frozenset[int] = frozenset({5, 6})  # date.weekday(): Monday is 0
    country: str | None = None
    subdivision: str | None = None
    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    _public: dict[int, dict[date, str]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.weekend <= set(range(7)) or len(self.weekend) == 7:
            raise CalendarError(f"calendar {self.identifier}: the weekend must leave a working "
                                f"day in the week (got {sorted(self.weekend)})")
        if self.country is not None:
            try:
                holidays.country_holidays(self.country, subdiv=self.subdivision)
            except NotImplementedError as exc:
                raise CalendarError(f"calendar {self.identifier}: {exc}") from None
        elif self.subdivision is not None:
            raise CalendarError(f"calendar {self.identifier}: a subdivision needs its country")

    @classmethod
    def from_spec(cls, spec: CalendarSpec) -> Calendar:
        return cls(spec.identifier, frozenset(WEEKDAYS.index(d) for d in spec.weekend),
                   spec.country_code, spec.subdivision, frozenset(spec.holidays),
                   frozenset(spec.working_days))

    def holiday(self, day: date) -> str | None:
        """The name of the holiday `day` is (the declared ones are `declared holiday`), or None —
        also for a holiday declared a working day."""
        if day in self.working_days:
            return None
        if day in self.days_off:
            return DECLARED_HOLIDAY
        return self._public_holidays(day.year).get(day)

    def _public_holidays(self, year: int) -> dict[date, str]:
        # One year at a time, kept: the package computes a year on first use, and a calendar
        # lives as long as its configuration. Two threads computing a year store equal values.
        found = self._public.get(year)
        if found is None:
            found = {} if self.country is None else dict(holidays.country_holidays(
                self.country, subdiv=self.subdivision, years=year).items())
            self._public[year] = found
        return found


WEEKDAYS_ONLY = Calendar("weekdays")
"""Monday to Friday without holidays: the calendar of a site that no calendar picks, when the
configuration declares no default."""


def is_business_day(day: date, calendar: Calendar) -> bool:
    if day in calendar.working_days:
        return True
    return day.weekday() not in calendar.weekend and calendar.holiday(day) is None


def local_day(instant: datetime, tz: Zone) -> date:
    """The day `instant` falls on in `tz`."""
    return _aware(instant).astimezone(_zone(tz)).date()


def end_of_day(day: date, tz: Zone) -> datetime:
    """The last instant (microsecond) of `day` in `tz`: 23:59:59.999999 local, the later one when
    the clocks go back at midnight; an hour skipped at midnight does not move it."""
    zone = _zone(tz)
    # A midnight that does not exist (clocks forward at 00:00) reads with the offset before the
    # change: that is the instant the next day starts, as wanted.
    next_start = datetime.combine(day + _DAY, time(0), tzinfo=zone).astimezone(UTC)
    return (next_start - _INSTANT).astimezone(zone)


def add_business_days(start: datetime, days: float, calendar: Calendar, tz: Zone) -> datetime:
    """The deadline `days` business days after `start`: the end of that business day in `tz`.

    Work given on a day off counts from the next business day (Saturday + 1 is the end of
    Tuesday; + 0 the end of Monday); a fraction of a day counts as a whole one, so a deadline is
    never earlier than asked. Adding n then m equals adding n + m."""
    if not math.isfinite(days) or days < 0:
        raise CalendarError(f"a deadline is a number of business days ≥ 0, not {days}")
    first = _business_day_from(local_day(start, tz), calendar)
    return end_of_day(_shift(first, math.ceil(days), calendar), tz)


def business_days_between(a: datetime, b: datetime, calendar: Calendar, tz: Zone) -> int:
    """How many business days `b` is after `a`, each instant first moved on to its business day
    as `add_business_days` does: `business_days_between(a, add_business_days(a, n, …), …) == n`.
    Negative when `b` is before `a`; 0 within one business day."""
    first = _business_day_from(local_day(a, tz), calendar)
    last = _business_day_from(local_day(b, tz), calendar)
    if last < first:
        return -business_days_between(b, a, calendar, tz)
    count = 0
    while first < last:
        first = _shift(first, 1, calendar)
        count += 1
    return count


def reminders(deadline: datetime, before_days: Iterable[int], calendar: Calendar, tz: Zone
              ) -> list[datetime]:
    """When to remind of `deadline`, `before_days` business days before it: the same time on the
    business day so many business days before the deadline's day — for a deadline of
    `add_business_days`, the end of that day, when only that many business days are left.
    Earliest first, without repeats."""
    zone = _zone(tz)
    local = _aware(deadline).astimezone(zone)
    at_end = _utc(local) == _utc(end_of_day(local.date(), zone))
    found: set[datetime] = set()
    for before in before_days:
        if before < 0:
            raise CalendarError(f"a reminder comes a number of business days ≥ 0 before its "
                                f"deadline, not {before}")
        day = _shift(local.date(), -before, calendar)
        found.add(end_of_day(day, zone) if at_end else _wall_time(day, local, zone))
    return sorted(found)


class EscalationLevel(NamedTuple):
    """A task not done `after_days` business days after its deadline goes to `role`."""

    after_days: int
    role: str


class Escalation(NamedTuple):
    at: datetime
    level: int  # 1 for the first level
    role: str


def escalations(start: datetime, days: float, levels: Sequence[EscalationLevel],
                calendar: Calendar, tz: Zone) -> list[Escalation]:
    """When a task started at `start`, due `days` business days later, reaches each level: the
    end of the business day `after_days` business days after its deadline's (0: the deadline
    itself). Levels come in the order given, each at least as late as the one before."""
    deadline_day = local_day(add_business_days(start, days, calendar, tz), tz)
    out: list[Escalation] = []
    previous = 0
    for number, level in enumerate(levels, 1):
        if level.after_days < previous:
            raise CalendarError(f"escalation level {number} ({level.role}) comes "
                                f"{level.after_days} business days after the deadline, before "
                                f"the level above it ({previous})")
        previous = level.after_days
        day = _shift(deadline_day, level.after_days, calendar)
        out.append(Escalation(end_of_day(day, tz), number, level.role))
    return out


EventKind = Literal["reminder", "deadline", "escalation"]
_KIND_ORDER: dict[EventKind, int] = {"reminder": 0, "deadline": 1, "escalation": 2}


class Event(NamedTuple):
    at: datetime
    kind: EventKind
    level: int = 0  # the escalation level, 1 for the first
    role: str | None = None  # the role a task escalates to


@dataclass(frozen=True)
class Schedule:
    """What happens to a pending task over time, computed once when it starts: its reminders,
    its deadline, its escalations — in the order they come."""

    start: datetime
    deadline: datetime
    events: tuple[Event, ...]

    def due(self, since: datetime | None, now: datetime) -> list[Event]:
        """The events in (`since`, `now`]: what a scheduler that last looked at `since` (None:
        never) has to do at `now`."""
        return [e for e in self.events
                if _utc(e.at) <= _utc(now) and (since is None or _utc(e.at) > _utc(since))]

    def is_overdue(self, now: datetime) -> bool:
        return _utc(now) > _utc(self.deadline)

    def escalation(self, now: datetime) -> Event | None:
        """The highest escalation reached at `now`, or None."""
        reached = [e for e in self.events if e.kind == "escalation" and _utc(e.at) <= _utc(now)]
        return reached[-1] if reached else None


def schedule(start: datetime, days: float, calendar: Calendar, tz: Zone, *,
             reminders_before: Iterable[int] = (),
             levels: Sequence[EscalationLevel] = ()) -> Schedule:
    """The schedule of a task started at `start`, due `days` business days later. A reminder
    that would come before the task started is left out."""
    deadline = add_business_days(start, days, calendar, tz)
    events = [Event(at, "reminder") for at in reminders(deadline, reminders_before, calendar, tz)
              if _utc(at) > _utc(start)]
    events.append(Event(deadline, "deadline"))
    events += [Event(e.at, "escalation", e.level, e.role)
               for e in escalations(start, days, levels, calendar, tz)]
    events.sort(key=lambda e: (_utc(e.at), _KIND_ORDER[e.kind], e.level))
    return Schedule(start, deadline, tuple(events))


class Calendars:
    """A project's calendars, and the one each site uses: the first whose `sites` its values
    match, else the default (Monday to Friday without holidays when none is declared)."""

    def __init__(self, specs: Iterable[CalendarSpec]) -> None:
        self._by_id: dict[str, Calendar] = {}
        self._rules: list[tuple[dict[str, set[str]], Calendar]] = []
        self.default = WEEKDAYS_ONLY
        for spec in specs:
            calendar = Calendar.from_spec(spec)
            self._by_id[spec.identifier.lower()] = calendar
            if spec.sites:
                self._rules.append(({prop.lower(): {_text(v) for v in _values(wanted)}
                                     for prop, wanted in spec.sites.items()}, calendar))
            if spec.default:
                self.default = calendar

    def get(self, identifier: str) -> Calendar:
        found = self._by_id.get(identifier.lower())
        if found is None:
            known = [c.identifier for c in self._by_id.values()]
            raise CalendarError(f"unknown calendar `{identifier}`{suggest(identifier, known)}")
        return found

    def for_site(self, site: Mapping[str, object]) -> Calendar:
        """The calendar of a site, from its values (property → value, e.g. Country: France)."""
        values = {prop.lower(): _text(value) for prop, value in site.items() if value is not None}
        for wanted, calendar in self._rules:
            if all(values.get(prop) in accepted for prop, accepted in wanted.items()):
                return calendar
        return self.default


def _values(wanted: str | list[str]) -> list[str]:
    return [wanted] if isinstance(wanted, str) else wanted


def _text(value: object) -> str:
    return str(value).strip().casefold()


def _zone(tz: Zone) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(f"unknown time zone `{tz}`") from None


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise CalendarError(f"{instant.isoformat()} has no time zone: deadlines are computed "
                            "from time-zone-aware instants")
    return instant


def _utc(instant: datetime) -> datetime:
    # Two datetimes of one zone compare by their wall times, fold ignored: through UTC, the
    # later 23:59 of a day whose clocks go back at midnight comes after the earlier one.
    return _aware(instant).astimezone(UTC)


def _business_day_from(day: date, calendar: Calendar) -> date:
    """`day` when it is a business day, else the next one."""
    while not is_business_day(day, calendar):
        day += _DAY
    return day


def _shift(day: date, count: int, calendar: Calendar) -> date:
    """The `count`-th business day after `day` (before it when `count` is negative)."""
    step = _DAY if count > 0 else -_DAY
    for _ in range(abs(count)):
        day += step
        while not is_business_day(day, calendar):
            day += step
    return day


def _wall_time(day: date, local: datetime, zone: ZoneInfo) -> datetime:
    # Through UTC, so that a wall time the clocks skip that day becomes a real instant.
    return datetime.combine(day, local.time(), tzinfo=zone).astimezone(UTC).astimezone(zone)
