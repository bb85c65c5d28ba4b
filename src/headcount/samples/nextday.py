"""The next day of the HR sample: joiners, movers, leavers, announced end dates, conversions, a
new and a renamed organization — few enough to stay under the default thresholds."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta

from headcount.samples.hrpeople import (
    CONTRACT_TYPES,
    CONTRACT_WEIGHTS,
    DEFAULT_SEED,
    Dataset,
    Emails,
    Names,
    Organization,
    Person,
    birth_date,
    days,
    employee_id,
    site_for,
)
from headcount.samples.vocabulary import (
    FIRST_NAMES,
    LAST_NAMES,
    NEW_ORG_NAME,
    NEW_ORG_PARENT,
    NEW_ORG_TITLES,
    RENAMED_ORG,
)

# --------------------------------------------------------------------------------------------
# The next day


@dataclass(frozen=True)
class NextDayCounts:
    joiners: int
    movers: int
    leavers: int
    end_dates: int
    # Contractors gone from the file and back as employees under a new EmployeeId.
    conversions: int

    @classmethod
    def for_size(cls, people: int) -> NextDayCounts:
        return cls(joiners=max(2, round(people * 0.01)), movers=max(4, round(people * 0.0075)),
                   leavers=max(1, round(people * 0.005)), end_dates=max(1, round(people * 0.0025)),
                   conversions=max(1, round(people * 0.001)))


def _namesake_key(person: Person, crowded: bool) -> tuple[str, ...]:
    names = (person.first_name.strip(), person.last_name.strip())
    return (*names, str(person.birth_date)) if crowded else names


class _Pool:
    """The people who may still change, in their shuffled order: taking one out costs O(1),
    not a scan of a list of a million."""

    def __init__(self, shuffled: list[str]) -> None:
        self._items = shuffled
        self._gone: set[str] = set()

    def __iter__(self) -> Iterator[str]:
        return (i for i in self._items if i not in self._gone)

    def remove(self, item: str) -> None:
        self._gone.add(item)

    def pop(self) -> str:
        while True:
            item = self._items.pop()
            if item not in self._gone:
                return item


def generate_next_day(day_one: Dataset, seed: int = DEFAULT_SEED) -> Dataset:
    """Day one plus joiners, movers, leavers, announced end dates, conversions, a new and a
    renamed organization. Row order is kept (HR exports are stable), joiners are inserted."""
    rng = random.Random(seed * 7919 + 1)
    today = day_one.today + timedelta(days=1)
    counts = NextDayCounts.for_size(len(day_one.people))
    people = {p.employee_id: p for p in day_one.people}
    by_name = {o.name: o for o in day_one.organizations}
    org_managers = {o.manager_id for o in day_one.organizations}
    has_reports = {p.manager_id for p in day_one.people if p.manager_id}
    all_leads = {lead for leads in day_one.leads.values() for lead in leads}
    # Homonyms are people of the same names; beyond the pool of names (the large samples of
    # the benchmarks) nearly everyone has one, and the birth date tells them apart as it does
    # for the policy's correlation.
    crowded = len(day_one.people) > len(FIRST_NAMES) * len(LAST_NAMES)
    name_count: dict[tuple[str, ...], int] = {}
    for p in day_one.people:
        key = _namesake_key(p, crowded)
        name_count[key] = name_count.get(key, 0) + 1
    # Who may change: started staff managing nobody, not homonyms, not in a stray-space row.
    shuffled = sorted(
        p.employee_id for p in day_one.people
        if p.employee_id not in has_reports and p.employee_id not in org_managers
        and p.employee_id not in all_leads
        and p.contract_start <= day_one.today and p.first_name == p.first_name.strip()
        and p.last_name == p.last_name.strip()
        and name_count[_namesake_key(p, crowded)] == 1
    )
    rng.shuffle(shuffled)
    eligible = _Pool(shuffled)

    # Organizations: one new (under the IT division), one renamed.
    codes = sorted(o.code for o in day_one.organizations)
    new_code = f"ORG{int(codes[-1][3:]) + 1:03d}"
    parent = by_name[NEW_ORG_PARENT]
    # Its head comes from one of the IT departments.
    it_departments = {o.code for o in day_one.organizations if o.parent_code == parent.code}
    promoted_id = next(i for i in eligible if people[i].organization_code in it_departments)
    eligible.remove(promoted_id)
    organizations = [
        replace(o, name=RENAMED_ORG[1]) if o.name == RENAMED_ORG[0] else o
        for o in day_one.organizations
    ]
    organizations.insert(rng.randint(0, len(organizations)),
                         Organization(new_code, NEW_ORG_NAME, parent.code, promoted_id))
    heads = {o.code: o.manager_id for o in organizations}
    leads = {code: list(ids) for code, ids in day_one.leads.items()}
    leads[new_code] = []
    org_sites = {**day_one.org_sites, new_code: day_one.org_sites[parent.code]}
    org_spread = {**day_one.org_spread, new_code: 0.0}
    org_titles = {**day_one.org_titles, new_code: NEW_ORG_TITLES}
    org_weights = {**day_one.org_weights, new_code: 0.5}
    staff_orgs = sorted(c for c in org_titles if c != new_code and org_weights[c] >= 0.4)

    # Movers: the one who heads the new organization, organization moves, title changes,
    # manager changes.
    changed: dict[str, Person] = {}
    changed[promoted_id] = replace(
        people[promoted_id], organization_code=new_code, title=f"Responsable {NEW_ORG_NAME}",
        manager_id=parent.manager_id, site_code=org_sites[new_code])
    rest = counts.movers - 1
    org_moves = rest * 6 // 14
    title_changes = (rest - org_moves) // 2
    manager_changes = rest - org_moves - title_changes
    for _ in range(org_moves):
        person = people[eligible.pop()]
        code = rng.choice([c for c in staff_orgs if c != person.organization_code])
        manager = rng.choice(leads[code]) if leads[code] and rng.random() < 0.5 else heads[code]
        changed[person.employee_id] = replace(
            person, organization_code=code, title=rng.choice(org_titles[code]),
            manager_id=manager, site_code=site_for(rng, org_sites[code], org_spread[code]))
    promotable = [i for i in eligible if not people[i].title.endswith(" senior")]
    for employee in promotable[:title_changes]:  # promotions
        eligible.remove(employee)
        person = people[employee]
        changed[employee] = replace(person, title=f"{person.title} senior")
    several_managers = {code: len({*leads[code], heads[code]}) > 1 for code in leads}
    candidates = [i for i in eligible if several_managers[people[i].organization_code]]
    for employee in candidates[:manager_changes]:
        eligible.remove(employee)
        person = people[employee]
        code = person.organization_code
        options = [m for m in [heads[code], *leads[code]] if m != person.manager_id]
        changed[employee] = replace(person, manager_id=rng.choice(options))
    # A small sample may have too few teams with two managers: promotions make up the count.
    short = manager_changes - len(candidates[:manager_changes])
    for employee in [i for i in eligible if not people[i].title.endswith(" senior")][:short]:
        eligible.remove(employee)
        person = people[employee]
        changed[employee] = replace(person, title=f"{person.title} senior")
    movers = len(changed)

    # Announced departures: permanent contracts get an end date.
    permanents = [i for i in eligible if people[i].contract_type == "permanent"]
    for employee in permanents[:counts.end_dates]:
        eligible.remove(employee)
        changed[employee] = replace(people[employee], contract_end=today + days(rng, 14, 75))
    # Leavers, removed from the file: first those whose contract has ended, then anyone.
    ended = [i for i in eligible if (people[i].contract_end or today) < today]
    ended_set = set(ended)
    by_end_first = ended + [i for i in eligible if i not in ended_set]
    leavers = set(by_end_first[:counts.leavers])
    assert not leavers & all_leads
    # Conversions: contractors who stay, but under a new EmployeeId, as employees.
    converted = [i for i in eligible if i not in leavers
                 and people[i].contract_type == "contractor"][:counts.conversions]

    rows = [changed.get(p.employee_id, p) for p in day_one.people if p.employee_id not in leavers]

    # Joiners: new ids; the last two are a team lead of the new organization and a report of
    # theirs, who is listed first.
    names = Names(rng, [(p.first_name, p.last_name) for p in day_one.people])
    emails = Emails([p.email for p in day_one.people])
    next_number = max(int(p.employee_id[1:]) for p in day_one.people) + 1
    births = random.Random(seed * 7919 + 2)
    joiners: list[Person] = []
    for n in range(counts.joiners):
        new_id = employee_id(next_number + n)
        first, last = names.draw()
        if n == counts.joiners - 2:
            contract_type, code, title, manager = ("permanent", new_code, "Chef d'équipe",
                                                   promoted_id)
        elif n == counts.joiners - 1:
            contract_type, code = "permanent", new_code
            title, manager = rng.choice(NEW_ORG_TITLES), joiners[-1].employee_id
        else:
            contract_type = rng.choices(CONTRACT_TYPES, weights=CONTRACT_WEIGHTS)[0]
            code = rng.choices(staff_orgs, weights=[org_weights[c] for c in staff_orgs])[0]
            title = rng.choice(org_titles[code])
            manager = rng.choice(leads[code]) if leads[code] and rng.random() < 0.7 \
                else heads[code]
        start = today + days(rng, 0, 45) if n != counts.joiners - 1 else joiners[-1].contract_start
        end: date | None = None
        if contract_type != "permanent":
            end = start + days(rng, 30, 540) if contract_type != "trainee" \
                else start + timedelta(days=182)
        prefix = "ext." if contract_type in ("interim", "contractor") else ""
        joiners.append(Person(
            new_id, first, last, "", emails.make(first, last, prefix), title, code,
            site_for(rng, org_sites[code], org_spread[code]), manager, contract_type, start, end,
            birth_date=birth_date(births, today)))
    for joiner in joiners:
        rows.insert(rng.randint(0, len(rows)), joiner)
    manager_row = rows.index(joiners[-2])
    report_row = rows.index(joiners[-1])
    if report_row > manager_row:
        rows[manager_row], rows[report_row] = rows[report_row], rows[manager_row]
    # The same person, names and birth date, from the next day's date: a new row under a new
    # key, which the policy correlates to their identity (a re-key) instead of a second one.
    # Their old rows go after the joiners are placed, so that the joiners' places stay.
    gone = set(converted)
    rows = [p for p in rows if p.employee_id not in gone]
    for n, former in enumerate(converted):
        person = people[former]
        rows.insert(rng.randint(0, len(rows)), replace(
            person, employee_id=employee_id(next_number + counts.joiners + n),
            email=emails.make(person.first_name, person.last_name), contract_type="permanent",
            contract_start=today, contract_end=None, position_start=None))

    assert movers == counts.movers, (movers, counts.movers)
    return Dataset(today, list(day_one.sites), organizations, rows, org_sites, org_spread,
                   org_titles, org_weights, leads)
