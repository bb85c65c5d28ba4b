"""Deadlines in business days: known holidays of known countries, daylight saving time, long
weekends, and the properties any calendar keeps (docs/workflows.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headcount.config.calendar import CalendarSpec
from headcount.workflows.calendar import (
    DECLARED_HOLIDAY,
    WEEKDAYS_ONLY,
    Calendar,
    CalendarError,
    Calendars,
    EscalationLevel,
    Event,
    add_business_days,
    business_days_between,
    end_of_day,
    escalations,
    is_business_day,
    local_day,
    reminders,
    schedule,
)

PARIS = ZoneInfo("Europe/Paris")
TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
FR = Calendar("FR", country="FR")
JP = Calendar("JP", country="JP")
US = Calendar("US", country="US")


def at(text: str) -> datetime:
    found = datetime.fromisoformat(text)
    assert found.tzinfo is not None
    return found


def test_christmas_and_the_weekend_are_not_counted() -> None:
    start = datetime(2026, 12, 23, 10, tzinfo=PARIS)  # a Wednesday
    assert add_business_days(start, 1, FR, PARIS) == at("2026-12-24T23:59:59.999999+01:00")
    assert add_business_days(start, 2, FR, PARIS) == at("2026-12-28T23:59:59.999999+01:00")
    assert FR.holiday(date(2026, 12, 25)) is not None
    closed = Calendar("FR", country="FR", days_off=frozenset({date(2026, 12, 24)}))
    assert add_business_days(start, 1, closed, PARIS) == at("2026-12-28T23:59:59.999999+01:00")
    assert closed.holiday(date(2026, 12, 24)) == DECLARED_HOLIDAY


def test_french_public_holidays_of_may() -> None:
    days = [date(2026, 5, 1), date(2026, 5, 8), date(2026, 5, 14), date(2026, 5, 25),
            date(2026, 7, 14), date(2026, 8, 15), date(2026, 11, 11)]
    assert [is_business_day(d, FR) for d in days] == [False] * len(days)
    assert is_business_day(date(2026, 5, 4), FR)
    # From Thursday 30 April: Labour Day and Victory Day (both Fridays) are skipped.
    start = datetime(2026, 4, 30, 9, tzinfo=PARIS)
    assert add_business_days(start, 5, FR, PARIS) == at("2026-05-11T23:59:59.999999+02:00")
    # Whit Monday worked (the "journée de solidarité"): a declared working day wins.
    solidarity = Calendar("FR", country="FR", working_days=frozenset({date(2026, 5, 25)}))
    assert not is_business_day(date(2026, 5, 25), FR)
    assert is_business_day(date(2026, 5, 25), solidarity)
    assert solidarity.holiday(date(2026, 5, 25)) is None
    friday = datetime(2026, 5, 22, 12, tzinfo=PARIS)
    assert add_business_days(friday, 1, FR, PARIS) == at("2026-05-26T23:59:59.999999+02:00")
    assert add_business_days(friday, 1, solidarity, PARIS) \
        == at("2026-05-25T23:59:59.999999+02:00")


def test_a_deadline_crossing_japans_golden_week() -> None:
    # Showa Day (Wed 29 April), then Constitution Day (Sun 3 May), Greenery Day, Children's Day
    # and the substitute holiday for the Sunday (Wed 6 May): a long weekend of five days.
    assert [is_business_day(date(2026, 5, d), JP) for d in range(1, 8)] == [
        True, False, False, False, False, False, True]
    start = datetime(2026, 4, 28, 15, tzinfo=TOKYO)  # a Tuesday
    assert add_business_days(start, 2, JP, TOKYO) == at("2026-05-01T23:59:59.999999+09:00")
    deadline = add_business_days(start, 3, JP, TOKYO)
    assert deadline == at("2026-05-07T23:59:59.999999+09:00")
    assert deadline.astimezone(UTC) == at("2026-05-07T14:59:59.999999+00:00")
    assert business_days_between(start, deadline, JP, TOKYO) == 3


def test_a_us_holiday_on_a_saturday_is_observed_on_the_friday() -> None:
    start = datetime(2026, 7, 2, 9, tzinfo=NEW_YORK)  # Thursday; 4 July is a Saturday
    assert not is_business_day(date(2026, 7, 3), US)
    assert add_business_days(start, 1, US, NEW_YORK) == at("2026-07-06T23:59:59.999999-04:00")


def test_a_subdivision_adds_its_own_holidays() -> None:
    alsace = Calendar("FR-Alsace", country="FR", subdivision="Alsace")
    start = datetime(2026, 4, 2, 9, tzinfo=PARIS)  # the Thursday before Easter
    assert add_business_days(start, 1, FR, PARIS) == at("2026-04-03T23:59:59.999999+02:00")
    # Good Friday in Alsace, Easter Monday everywhere in France.
    assert add_business_days(start, 1, alsace, PARIS) == at("2026-04-07T23:59:59.999999+02:00")


def test_another_weekend() -> None:
    israel = Calendar("IL", weekend=frozenset({4, 5}))  # Friday and Saturday
    start = datetime(2026, 1, 8, 9, tzinfo=ZoneInfo("Asia/Jerusalem"))  # a Thursday
    assert add_business_days(start, 1, israel, "Asia/Jerusalem") \
        == at("2026-01-11T23:59:59.999999+02:00")


def test_daylight_saving_time_in_paris_moves_no_deadline() -> None:
    # Clocks go forward on Sunday 29 March 2026 and back on Sunday 25 October.
    friday = datetime(2026, 3, 27, 10, tzinfo=PARIS)
    deadline = add_business_days(friday, 1, FR, PARIS)
    assert deadline == at("2026-03-30T23:59:59.999999+02:00")
    assert deadline.astimezone(UTC) == at("2026-03-30T21:59:59.999999+00:00")
    assert reminders(deadline, [1], FR, PARIS) == [at("2026-03-27T23:59:59.999999+01:00")]
    autumn = add_business_days(datetime(2026, 10, 23, 10, tzinfo=PARIS), 1, FR, PARIS)
    assert autumn.astimezone(UTC) == at("2026-10-26T22:59:59.999999+00:00")
    # The same instants given in UTC fall on the same Paris days.
    assert add_business_days(friday.astimezone(UTC), 1, FR, "Europe/Paris") == deadline
    assert business_days_between(friday, deadline, FR, PARIS) == 1


def test_the_end_of_a_day_when_the_clocks_change_at_midnight() -> None:
    # São Paulo moved its clocks at midnight: forward on 4 November 2018, back on 18 February.
    forward = end_of_day(date(2018, 11, 3), "America/Sao_Paulo")
    assert forward == at("2018-11-03T23:59:59.999999-03:00")
    after = (forward.astimezone(UTC) + timedelta(microseconds=1)).astimezone(forward.tzinfo)
    assert (after.date(), after.hour) == (date(2018, 11, 4), 1)  # midnight never was
    back = end_of_day(date(2018, 2, 17), "America/Sao_Paulo")
    assert back.utcoffset() == timedelta(hours=-3)  # the later of the two 23:59s
    assert back.astimezone(UTC) == at("2018-02-18T02:59:59.999999+00:00")


def test_the_day_is_the_site_s_day() -> None:
    # Thursday 30 April 22:00 in Paris is Friday 1 May in Tokyo: a holiday in France only.
    instant = at("2026-04-30T20:00:00+00:00")
    assert local_day(instant, PARIS) == date(2026, 4, 30)
    assert local_day(instant, TOKYO) == date(2026, 5, 1)
    assert add_business_days(instant, 1, FR, PARIS) == at("2026-05-04T23:59:59.999999+02:00")
    assert add_business_days(instant, 1, JP, TOKYO) == at("2026-05-07T23:59:59.999999+09:00")


def test_work_given_on_a_day_off_counts_from_the_next_business_day() -> None:
    saturday = datetime(2026, 6, 6, 11, tzinfo=PARIS)
    monday = datetime(2026, 6, 8, 9, tzinfo=PARIS)
    assert add_business_days(saturday, 0, FR, PARIS) == at("2026-06-08T23:59:59.999999+02:00")
    assert add_business_days(saturday, 1, FR, PARIS) == add_business_days(monday, 1, FR, PARIS)
    assert business_days_between(saturday, monday, FR, PARIS) == 0
    assert business_days_between(monday, saturday, FR, PARIS) == 0


def test_a_fraction_of_a_day_counts_as_a_whole_day() -> None:
    start = datetime(2026, 6, 8, 20, tzinfo=PARIS)
    assert add_business_days(start, 0.5, FR, PARIS) == add_business_days(start, 1, FR, PARIS)
    assert add_business_days(start, 2.01, FR, PARIS) == add_business_days(start, 3, FR, PARIS)


def test_what_cannot_be_computed_is_refused() -> None:
    with pytest.raises(CalendarError, match="has no time zone"):
        add_business_days(datetime(2026, 6, 8, 9), 1, FR, PARIS)
    with pytest.raises(CalendarError, match="≥ 0"):
        add_business_days(datetime(2026, 6, 8, 9, tzinfo=PARIS), -1, FR, PARIS)
    with pytest.raises(CalendarError, match="unknown time zone `Europe/Pariss`"):
        add_business_days(datetime(2026, 6, 8, 9, tzinfo=PARIS), 1, FR, "Europe/Pariss")
    with pytest.raises(CalendarError, match="must leave a working day"):
        Calendar("never", weekend=frozenset(range(7)))
    with pytest.raises(CalendarError, match="does not have subdivision"):
        Calendar("FR", country="FR", subdivision="Tokyo")
    with pytest.raises(CalendarError, match="before the level above it"):
        escalations(datetime(2026, 6, 8, 9, tzinfo=PARIS), 1,
                    [EscalationLevel(3, "Manager"), EscalationLevel(1, "HR")], FR, PARIS)


def test_reminders_come_when_so_many_business_days_are_left() -> None:
    start = datetime(2026, 4, 30, 9, tzinfo=PARIS)
    deadline = add_business_days(start, 5, FR, PARIS)  # end of Monday 11 May
    assert reminders(deadline, [2, 1, 2], FR, PARIS) == [
        at("2026-05-06T23:59:59.999999+02:00"), at("2026-05-07T23:59:59.999999+02:00")]
    # A deadline at another time of day: the same time of day, on business days.
    noon = at("2026-05-11T12:00:00+02:00")
    assert reminders(noon, [1], FR, PARIS) == [at("2026-05-07T12:00:00+02:00")]


def test_a_schedule_lists_reminders_deadline_and_escalations_and_what_is_due_when() -> None:
    start = datetime(2026, 4, 30, 9, tzinfo=PARIS)  # Thursday, before 1 May and 8 May
    plan = schedule(start, 3, FR, PARIS, reminders_before=[1, 5],
                    levels=[EscalationLevel(1, "Manager"), EscalationLevel(3, "HR")])
    assert plan.deadline == at("2026-05-06T23:59:59.999999+02:00")
    assert plan.events == (
        Event(at("2026-05-05T23:59:59.999999+02:00"), "reminder"),  # 5 days before: too early
        Event(plan.deadline, "deadline"),
        Event(at("2026-05-07T23:59:59.999999+02:00"), "escalation", 1, "Manager"),
        Event(at("2026-05-12T23:59:59.999999+02:00"), "escalation", 2, "HR"),  # over 8 May
    )
    monday = at("2026-05-04T10:00:00+02:00")
    friday = at("2026-05-08T10:00:00+02:00")
    assert plan.due(None, monday) == []
    assert [e.kind for e in plan.due(monday, friday)] == ["reminder", "deadline", "escalation"]
    assert plan.due(friday, at("2026-05-12T23:59:59.999999+02:00")) == [plan.events[-1]]
    assert not plan.is_overdue(plan.deadline)
    assert plan.is_overdue(plan.deadline + timedelta(microseconds=1))
    assert plan.escalation(monday) is None
    escalated = plan.escalation(friday)
    assert escalated is not None
    assert escalated.role == "Manager"
    assert escalations(start, 3, [EscalationLevel(0, "Manager")], FR, PARIS)[0].at \
        == plan.deadline


def test_a_site_picks_its_calendar_by_its_values() -> None:
    calendars = Calendars([
        CalendarSpec(identifier="FR-Alsace", country="FR", subdivision="Alsace",
                     sites={"Code": ["STR", "MUL"]}),
        CalendarSpec(identifier="FR", country="fr", sites={"Country": ["France", "FR"]},
                     default=True),
        CalendarSpec(identifier="JP", country="JP", sites={"TimeZone": "Asia/Tokyo"}),
    ])
    assert calendars.for_site({"Code": "STR", "Country": "France"}).identifier == "FR-Alsace"
    assert calendars.for_site({"Code": "PAR", "Country": " france "}).identifier == "FR"
    assert calendars.for_site({"timezone": "asia/tokyo", "Country": None}).identifier == "JP"
    assert calendars.for_site({"Code": "NYC", "Country": "United States"}).identifier == "FR"
    assert calendars.get("fr").country == "FR"
    with pytest.raises(CalendarError, match="unknown calendar `FR-Alsac` — did you mean"):
        calendars.get("FR-Alsac")
    assert Calendars([]).for_site({"Country": "France"}) is WEEKDAYS_ONLY
    assert not is_business_day(date(2026, 6, 6), WEEKDAYS_ONLY)
    assert is_business_day(date(2026, 12, 25), WEEKDAYS_ONLY)


# Time zones whose clocks do odd things: DST at midnight (São Paulo until 2019), by half an hour
# (Lord Howe), at 45 minutes past (Chatham), none (Tokyo, UTC).
ZONES = ["Europe/Paris", "Asia/Tokyo", "America/New_York", "America/Sao_Paulo",
         "Australia/Lord_Howe", "Pacific/Chatham", "UTC"]
DAYS = st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    weekend = draw(st.frozensets(st.integers(0, 6), max_size=6))
    country = draw(st.sampled_from([None, "FR", "JP", "US", "DE"]))
    return Calendar("drawn", weekend, country, None,
                    frozenset(draw(st.lists(DAYS, max_size=40))),
                    frozenset(draw(st.lists(DAYS, max_size=10))))


INSTANTS = st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2029, 12, 31),
                        timezones=st.just(UTC))
PROPERTIES = settings(max_examples=150, deadline=None, derandomize=True, database=None)


@PROPERTIES
@given(calendars(), st.sampled_from(ZONES), INSTANTS, st.integers(0, 40), st.integers(0, 40))
def test_adding_n_then_m_business_days_is_adding_n_plus_m(
        calendar: Calendar, tz: str, start: datetime, n: int, m: int) -> None:
    after_n = add_business_days(start, n, calendar, tz)
    assert add_business_days(after_n, m, calendar, tz).astimezone(UTC) \
        == add_business_days(start, n + m, calendar, tz).astimezone(UTC)


@PROPERTIES
@given(calendars(), st.sampled_from(ZONES), INSTANTS, st.integers(0, 60))
def test_the_business_days_between_a_start_and_its_deadline_are_n(
        calendar: Calendar, tz: str, start: datetime, n: int) -> None:
    deadline = add_business_days(start, n, calendar, tz)
    assert business_days_between(start, deadline, calendar, tz) == n
    assert business_days_between(deadline, start, calendar, tz) == -n


@PROPERTIES
@given(calendars(), st.sampled_from(ZONES), INSTANTS, st.integers(0, 60))
def test_a_deadline_is_the_end_of_a_business_day_after_its_start(
        calendar: Calendar, tz: str, start: datetime, n: int) -> None:
    deadline = add_business_days(start, n, calendar, tz)
    day = local_day(deadline, tz)
    assert is_business_day(day, calendar)
    assert day.weekday() not in calendar.weekend or day in calendar.working_days
    assert calendar.holiday(day) is None
    just_after = deadline.astimezone(UTC) + timedelta(microseconds=1)
    assert local_day(just_after, tz) == day + timedelta(days=1)
    assert deadline > start


@PROPERTIES
@given(calendars(), st.sampled_from(ZONES), INSTANTS, st.integers(0, 40), st.integers(1, 40))
def test_more_business_days_give_a_later_deadline(
        calendar: Calendar, tz: str, start: datetime, n: int, more: int) -> None:
    assert add_business_days(start, n, calendar, tz).astimezone(UTC) \
        < add_business_days(start, n + more, calendar, tz).astimezone(UTC)


@PROPERTIES
@given(calendars(), st.sampled_from(ZONES), INSTANTS, st.integers(0, 30), st.integers(0, 30))
def test_reminders_and_escalations_are_deadlines_of_fewer_and_more_days(
        calendar: Calendar, tz: str, start: datetime, n: int, k: int) -> None:
    deadline = add_business_days(start, n, calendar, tz)
    if k <= n:
        (reminder,) = reminders(deadline, [k], calendar, tz)
        assert reminder.astimezone(UTC) \
            == add_business_days(start, n - k, calendar, tz).astimezone(UTC)
    (escalation,) = escalations(start, n, [EscalationLevel(k, "R")], calendar, tz)
    assert escalation.at.astimezone(UTC) \
        == add_business_days(start, n + k, calendar, tz).astimezone(UTC)
