"""The sample directory: at least 1,000 accounts whose categories, and so the counts a review
must find, are known exactly; the same arguments give the same directory."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta
from functools import cache

import pytest

from headcount.samples import hrfiles
from headcount.samples.directory import (
    ACCOUNTDISABLE,
    DOMAIN_SID,
    MAX_SAM_LENGTH,
    PEOPLE_OU,
    SERVICE_OU,
    SERVICE_PREFIX,
    UNUSED_DAYS,
    Category,
    SampleDirectory,
    Sizes,
    build_directory,
    sample_directory,
)

SIZES = Sizes()


@cache
def days() -> tuple[hrfiles.Dataset, hrfiles.Dataset]:
    day_one = hrfiles.generate_day_one()
    return day_one, hrfiles.generate_next_day(day_one)


@cache
def directory() -> SampleDirectory:
    return build_directory(*days())


def names(person: hrfiles.Person) -> tuple[str, str]:
    return hrfiles.ascii_slug(person.first_name), hrfiles.ascii_slug(person.last_name)


def test_the_counts_are_those_built() -> None:
    built = directory()
    counts = built.counts
    found = Counter(a.category for a in built.accounts)
    assert counts.accounts == len(built.accounts) >= 1000
    assert found == {
        Category.OWNED: counts.owned, Category.ORPHAN: counts.orphans,
        Category.LIKELY_OWNER: counts.likely_owner, Category.LEAVER: counts.leavers,
        Category.DISABLED: counts.disabled, Category.UNUSED: counts.unused,
        Category.SERVICE: counts.service,
    }
    assert (counts.orphans, counts.likely_owner, counts.disabled, counts.unused,
            counts.service) == (SIZES.orphans, SIZES.likely_owner, SIZES.disabled, SIZES.unused,
                                SIZES.service)
    assert 0 < counts.leavers <= SIZES.leavers
    assert counts.without_owner == counts.orphans + counts.likely_owner


def test_owners_are_active_people_of_the_next_day() -> None:
    _, next_day = days()
    built = directory()
    people = {p.employee_id: p for p in next_day.people}
    owners = [a.employee_number for a in built.accounts if a.employee_number]
    assert len(owners) == len(set(owners))  # one account per person
    for category in (Category.OWNED, Category.DISABLED, Category.UNUSED):
        for account in built.of(category):
            person = people[account.employee_number]
            assert account.owner == person.employee_id
            assert person.contract_start <= next_day.today
            assert person.contract_end is None \
                or person.contract_end > next_day.today + timedelta(days=90)
            assert (account.given_name, account.sn) == (person.first_name.strip(),
                                                        person.last_name.strip())


def test_leavers_accounts_are_enabled_and_their_people_gone() -> None:
    day_one, next_day = days()
    built = directory()
    still = {p.employee_id for p in next_day.people}
    before = {p.employee_id for p in day_one.people}
    for account in built.of(Category.LEAVER):
        assert not account.disabled
        assert account.employee_number in before
        assert account.employee_number not in still
    # The next day's leavers are all there (the sample's next day has fewer than asked for).
    counts = hrfiles.NextDayCounts.for_size(len(day_one.people))
    assert built.counts.leavers == counts.leavers


def test_orphans_match_nobody_and_likely_owners_exactly_one_person() -> None:
    day_one, next_day = days()
    built = directory()
    everyone = Counter(names(p) for p in {p.employee_id: p for d in (day_one, next_day)
                                          for p in d.people}.values())
    both_orders = set(everyone) | {(last, first) for first, last in everyone}
    people = {p.employee_id: p for p in next_day.people}
    for account in built.of(Category.ORPHAN):
        key = (hrfiles.ascii_slug(account.given_name), hrfiles.ascii_slug(account.sn))
        assert not account.employee_number
        assert not account.owner
        assert key not in both_orders
    for account in built.of(Category.LIKELY_OWNER):
        person = people[account.likely_owner]
        assert not account.employee_number
        assert not account.owner
        assert (account.given_name, account.sn) == (person.first_name.strip(),
                                                    person.last_name.strip())
        assert everyone[names(person)] == 1


def test_logons_and_flags() -> None:
    built = directory()
    now = built.now
    for account in built.accounts:
        assert account.disabled == (account.category is Category.DISABLED)
        assert account.last_logon is not None
        assert account.pwd_last_set <= account.last_logon or account.category in {
            Category.SERVICE}
        assert account.when_created <= account.pwd_last_set
        if account.category is Category.UNUSED:
            assert account.last_logon == now - timedelta(days=UNUSED_DAYS)
        elif not account.disabled:
            assert now - account.last_logon <= timedelta(days=10)
    assert all(a.user_account_control & ACCOUNTDISABLE for a in built.of(Category.DISABLED))


def test_service_accounts() -> None:
    built = directory()
    for account in built.accounts:
        is_service = account.category is Category.SERVICE
        assert account.dn.endswith(f",{SERVICE_OU}" if is_service else f",{PEOPLE_OU}")
        assert account.description.startswith(SERVICE_PREFIX) == is_service


def test_identifiers_are_unique_and_groups_agree() -> None:
    built = directory()
    accounts = built.accounts
    for values in ([a.dn.lower() for a in accounts], [a.sam_account_name.lower() for a in accounts],
                   [a.object_sid for a in accounts] + [g.object_sid for g in built.groups],
                   [a.object_guid for a in accounts] + [g.object_guid for g in built.groups]):
        assert len(values) == len(set(values))
    assert all(len(a.sam_account_name) <= MAX_SAM_LENGTH for a in accounts)
    assert all(a.object_sid.startswith(f"{DOMAIN_SID}-") for a in accounts)
    members = {(g.dn, m) for g in built.groups for m in g.members}
    assert members == {(group, a.dn) for a in accounts for group in a.member_of}


def test_the_same_arguments_give_the_same_directory() -> None:
    assert sample_directory(people=300, accounts=240, sizes=Sizes(orphans=10, likely_owner=4,
                                                                  disabled=5, unused=6,
                                                                  service=3)) \
        == sample_directory(people=300, accounts=240, sizes=Sizes(orphans=10, likely_owner=4,
                                                                  disabled=5, unused=6,
                                                                  service=3))
    assert sample_directory(people=300, accounts=240, seed=1) \
        != sample_directory(people=300, accounts=240, seed=2)
    assert sample_directory() == directory()


def test_more_accounts_than_people_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot own"):
        sample_directory(people=300, accounts=1000)


def test_the_sample_directory_follows_the_sample_size_and_stops_beyond_the_demo() -> None:
    from headcount.samples.directory import MAX_SAMPLE_PEOPLE, for_sample

    day_one = hrfiles.generate_day_one(200, hrfiles.DEFAULT_SEED, hrfiles.DEFAULT_TODAY)
    small = for_sample(day_one, hrfiles.generate_next_day(day_one, hrfiles.DEFAULT_SEED))
    assert len(small.accounts) == 120
    assert min(small.counts.orphans, small.counts.service, small.counts.unused) >= 1
    big = dataclasses.replace(day_one, people=day_one.people * (MAX_SAMPLE_PEOPLE // 200 + 1))
    with pytest.raises(ValueError, match="at most 10,000 people"):
        for_sample(big, big)
