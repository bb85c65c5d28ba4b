"""The HR sample generator: deterministic at every size, including the benchmarks' large ones
where the pool of names is spent and nearly everyone has a namesake."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headcount.samples.hrfiles import (
    MIN_PEOPLE,
    NextDayCounts,
    generate_day_one,
    generate_next_day,
)
from headcount.samples.vocabulary import FIRST_NAMES, LAST_NAMES


@settings(max_examples=10, deadline=None)
@given(people=st.integers(MIN_PEOPLE, 1500), seed=st.integers(0, 10_000))
def test_a_sample_is_the_same_twice_and_its_e_mails_are_unique(people: int, seed: int) -> None:
    first, second = generate_day_one(people, seed), generate_day_one(people, seed)
    assert first == second
    assert generate_next_day(first, seed) == generate_next_day(second, seed)
    emails = [p.email.lower() for p in first.people if p.email]
    assert len(emails) == len(set(emails))


@pytest.mark.slow
def test_the_next_day_has_its_movements_beyond_the_pool_of_names() -> None:
    people = len(FIRST_NAMES) * len(LAST_NAMES) + 1_000
    day_one = generate_day_one(people)
    next_day = generate_next_day(day_one)
    counts = NextDayCounts.for_size(people)
    before = {p.employee_id for p in day_one.people}
    after = {p.employee_id for p in next_day.people}
    assert len(after - before) == counts.joiners + counts.conversions
    assert len(before - after) == counts.leavers + counts.conversions
    emails = [p.email.lower() for p in next_day.people if p.email]
    assert len(emails) == len(set(emails))
