"""Generate the HR files of the sample project `examples/hr` (SPEC §3–§4).

Four files, each with the traits real HR exports have:

- `hr_people.csv`: `;`-separated, latin-1, `\\n` line endings, dates written dd/mm/yyyy, accented
  European names, homonyms, stray spaces, a quoted title, managers listed after their reports,
  fixed-term contracts with an end date, contract dates in the future;
- `hr_organizations.csv`: a tree of organizations, UTF-8 with a BOM, CRLF line endings, names
  holding commas and quotes, parents listed after their children;
- `hr_sites.csv`: sites in several time zones, UTF-8 (with non-latin characters);
- `hr_contract_types.csv`: the reference table of contract types (external or not, the prefix
  of their logins), from which the sample computes its user types.

A "next day" set, with the same dialects, holds joiners, movers, leavers, announced end dates,
conversions (a contractor who leaves and comes back as an employee under a new EmployeeId, same
names and birth date), a new organization and a renamed one: few enough changes to stay under the
default thresholds.

The output only depends on the arguments: running it twice gives byte-identical files.

    python examples/generate.py                 # day one in DIR, the next day in DIR/next_day
    python examples/generate.py --next-day      # the next day in DIR, in place of day one
"""

from __future__ import annotations

import argparse
import csv
import functools
import random
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

from headcount.samples.vocabulary import (
    ASSISTANTS,
    EUROPEAN_SITES,
    FIRST_NAMES,
    LAST_NAMES,
    NEW_ORG_NAME,
    NEW_ORG_PARENT,
    NEW_ORG_TITLES,
    RENAMED_ORG,
    SITES,
    TREE,
    OrgSpec,
    Site,
)

DEFAULT_OUT = Path("data")
DEFAULT_PEOPLE = 2000
DEFAULT_SEED = 2026
DEFAULT_TODAY = date(2026, 11, 26)
MIN_PEOPLE = 200
EMAIL_DOMAIN = "example.com"

PEOPLE_FILE = "hr_people.csv"
ORGANIZATIONS_FILE = "hr_organizations.csv"
SITES_FILE = "hr_sites.csv"
CONTRACT_TYPES_FILE = "hr_contract_types.csv"
NEXT_DAY_DIR = "next_day"
AD_EXPORT = "ad_users.ldif"

PEOPLE_COLUMNS = [
    "EmployeeId", "FirstName", "LastName", "BirthName", "Email", "Title", "OrganizationCode",
    "SiteCode", "ManagerId", "ContractType", "ContractStartDate", "ContractEndDate",
    "PositionStartDate", "BirthDate",
]
ORGANIZATION_COLUMNS = ["Code", "Name", "ParentCode", "ManagerId"]
SITE_COLUMNS = ["Code", "Name", "City", "Country", "TimeZone"]
CONTRACT_TYPES = ["permanent", "fixed-term", "interim", "contractor", "trainee"]
CONTRACT_WEIGHTS = [76.0, 10.0, 5.0, 5.0, 4.0]
CONTRACT_TYPE_COLUMNS = ["Code", "Name", "IsExternal", "LoginPrefix"]
# The HR system's reference table of contract types: which are external staff, and the prefix
# their logins carry. The sample's user types (Directory_UserType) are computed from it.
CONTRACT_TYPE_ROWS = [
    ["permanent", "Permanent", "false", ""],
    ["fixed-term", "Fixed-term", "false", ""],
    ["interim", "Interim", "true", "x-"],
    ["contractor", "Contractor", "true", "x-"],
    ["trainee", "Trainee", "false", ""],
]
DATE_FORMAT = "%d/%m/%Y"

_NON_DECOMPOSING = str.maketrans({
    "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th",
})

# --------------------------------------------------------------------------------------------
# The records written to the files


@dataclass(frozen=True)
class Organization:
    code: str
    name: str
    parent_code: str
    manager_id: str


@dataclass(frozen=True)
class Person:
    employee_id: str
    first_name: str
    last_name: str
    birth_name: str
    email: str
    title: str
    organization_code: str
    site_code: str
    manager_id: str
    contract_type: str
    contract_start: date
    contract_end: date | None
    # The day the current position (organization, title, manager, site) applies from; empty
    # when it is the contract's start. A future one is a dated move (SPEC §8).
    position_start: date | None = None
    # Names and birth date are what recognises a person who comes back under a new HR key.
    birth_date: date | None = None

    def row(self) -> list[str]:
        end = self.contract_end.strftime(DATE_FORMAT) if self.contract_end else ""
        moved = self.position_start.strftime(DATE_FORMAT) if self.position_start else ""
        born = self.birth_date.strftime(DATE_FORMAT) if self.birth_date else ""
        return [
            self.employee_id, self.first_name, self.last_name, self.birth_name, self.email,
            self.title, self.organization_code, self.site_code, self.manager_id,
            self.contract_type, self.contract_start.strftime(DATE_FORMAT), end, moved, born,
        ]


@dataclass
class Dataset:
    """One day of HR files, rows in file order, and what generating the next day needs."""

    today: date
    sites: list[Site]
    organizations: list[Organization]
    people: list[Person]
    org_sites: dict[str, str] = field(default_factory=dict)
    org_spread: dict[str, float] = field(default_factory=dict)
    org_titles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    org_weights: dict[str, float] = field(default_factory=dict)
    leads: dict[str, list[str]] = field(default_factory=dict)  # organization → team leads


# --------------------------------------------------------------------------------------------
# Helpers


@functools.lru_cache(maxsize=4096)  # names come from a pool: the large samples ask again
def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters, digits and hyphens: `Søren` → `soren`, `N'Diaye` → `ndiaye`."""
    decomposed = unicodedata.normalize("NFKD", text.strip().translate(_NON_DECOMPOSING))
    return "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c == "-")).lower()


@functools.lru_cache(maxsize=1024)
def _other_last_names(last_name: str) -> list[str]:
    return [n for n in LAST_NAMES if n != last_name]


def employee_id(number: int) -> str:
    return f"E{number:05d}"


def _days(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(days=rng.randint(low, high))


class _Names:
    """Draws (first, last) names that are unique unless a homonym is asked for."""

    def __init__(self, rng: random.Random, taken: Sequence[tuple[str, str]] = ()) -> None:
        self._rng = rng
        self._taken = {(first.strip(), last.strip()) for first, last in taken}
        self._exhausted = False

    def draw(self) -> tuple[str, str]:
        # Unique while the pool of names lasts; beyond (large samples for the benchmarks),
        # homonyms: HR files have them, and e-mails are numbered. Once a draw has found no
        # free name, the pool is spent: searching again would cost 200 draws a person.
        for _ in range(1 if self._exhausted else 200):
            name = (self._rng.choice(FIRST_NAMES), self._rng.choice(LAST_NAMES))
            if name not in self._taken:
                self._taken.add(name)
                return name
        self._exhausted = True
        return name


class _Emails:
    """Builds first.last@domain addresses, numbering homonyms: jean.martin2@…"""

    def __init__(self, taken: Sequence[str] = ()) -> None:
        self._taken = {e.lower() for e in taken if e}
        # Every number below a base's next one is taken (the set only grows): the first free
        # address is found from there, not from 1 — the same address, without counting up
        # through thousands of homonyms in the large samples.
        self._next: dict[str, int] = {}

    def make(self, first: str, last: str, prefix: str = "") -> str:
        base = f"{prefix}{ascii_slug(first)}.{ascii_slug(last)}"
        number = self._next.get(base, 1)
        while True:
            local = base if number == 1 else f"{base}{number}"
            address = f"{local}@{EMAIL_DOMAIN}"
            if address not in self._taken:
                self._taken.add(address)
                self._next[base] = number + 1
                return address
            number += 1


def _birth_date(rng: random.Random, today: date) -> date:
    """Between 20 and 64 years old on `today`."""
    return today - _days(rng, 20 * 365, 64 * 365)


def _contract(rng: random.Random, today: date, contract_type: str, may_start_later: bool
              ) -> tuple[date, date | None]:
    """Start and end dates of a contract, as of `today`."""
    future = may_start_later and rng.random() < {
        "permanent": 0.02, "fixed-term": 0.04, "interim": 0.05, "contractor": 0.03,
        "trainee": 0.12,
    }[contract_type]
    if contract_type == "permanent":
        if future:
            return today + _days(rng, 1, 75), None
        tenure = min(int(rng.expovariate(1 / (7 * 365))) + 7, 38 * 365)
        return today - timedelta(days=tenure), None
    if contract_type == "fixed-term":
        start = today + _days(rng, 1, 45) if future else today - _days(rng, 7, 540)
        end = start + _days(rng, 90, 730)
        if end < today and rng.random() < 0.85:  # most expired ones were extended
            end = today + _days(rng, 1, 365)
        return start, end
    if contract_type == "interim":
        start = today + _days(rng, 1, 20) if future else today - _days(rng, 1, 180)
        end = start + _days(rng, 14, 270)
        if end < today and rng.random() < 0.9:
            end = today + _days(rng, 1, 90)
        return start, end
    if contract_type == "contractor":
        start = today + _days(rng, 1, 30) if future else today - _days(rng, 30, 1500)
        return start, today + _days(rng, 30, 540) if rng.random() < 0.7 else None
    # trainee: six months, the January intake is already known
    start = today + _days(rng, 1, 60) if future else today - _days(rng, 1, 175)
    return start, start + timedelta(days=182)


def _site_for(rng: random.Random, home: str, spread: float) -> str:
    if home in EUROPEAN_SITES and rng.random() < spread:
        return rng.choice([s for s in EUROPEAN_SITES if s != home])
    return home


# --------------------------------------------------------------------------------------------
# Day one


@dataclass
class _Draft:
    org: int
    manager: int | None
    title: str
    kind: str  # "head", "lead" or "staff"
    first_name: str = ""
    last_name: str = ""
    birth_name: str = ""
    site: str = ""
    contract_type: str = "permanent"
    start: date = DEFAULT_TODAY
    end: date | None = None


@dataclass(frozen=True)
class _Org:
    spec: OrgSpec
    parent: int | None
    titles: tuple[str, ...]


def _flatten(spec: OrgSpec) -> list[_Org]:
    out: list[_Org] = []

    def walk(node: OrgSpec, parent: int | None, inherited: tuple[str, ...]) -> None:
        titles = node.titles or inherited
        if node.children and parent is not None:  # a division's own staff: its assistants
            staff = ASSISTANTS if node.titles else (*ASSISTANTS, *inherited[:2])
        else:
            staff = titles
        out.append(_Org(node, parent, staff))
        index = len(out) - 1
        for child in node.children:
            walk(child, index, titles)

    walk(spec, None, ())
    return out


def _head_title(org: _Org) -> str:
    return org.spec.head_title or f"Responsable {org.spec.name}"


def generate_day_one(people: int = DEFAULT_PEOPLE, seed: int = DEFAULT_SEED,
                     today: date = DEFAULT_TODAY) -> Dataset:
    if people < MIN_PEOPLE:
        raise ValueError(f"at least {MIN_PEOPLE} people are needed, not {people}")
    rng = random.Random(seed)
    orgs = _flatten(TREE)
    codes = [f"ORG{i + 1:03d}" for i in range(len(orgs))]

    # Heads first (the organization tree gives their managers), then team leads and staff.
    drafts: list[_Draft] = []
    heads: list[int] = []
    for org in orgs:
        manager = None if org.parent is None else heads[org.parent]
        drafts.append(_Draft(len(heads), manager, _head_title(org), "head"))
        heads.append(len(drafts) - 1)
    chosen = rng.choices(range(len(orgs)), weights=[o.spec.weight for o in orgs],
                         k=people - len(drafts))
    sizes = [0] * len(orgs)
    for index in chosen:
        sizes[index] += 1
    leads_of: dict[int, list[int]] = {}
    for index, size in enumerate(sizes):
        n_leads = size // 12 if size >= 15 else 0
        leads_of[index] = []
        for _ in range(n_leads):
            drafts.append(_Draft(index, heads[index], "Chef d'équipe", "lead"))
            leads_of[index].append(len(drafts) - 1)
        for _ in range(size - n_leads):
            leads = leads_of[index]
            manager = rng.choice(leads) if leads and rng.random() < 0.8 else heads[index]
            drafts.append(_Draft(index, manager, rng.choice(orgs[index].titles), "staff"))

    names = _Names(rng)
    for draft in drafts:
        org = orgs[draft.org]
        draft.first_name, draft.last_name = names.draw()
        if rng.random() < 0.12:
            draft.birth_name = rng.choice(_other_last_names(draft.last_name))
        draft.site = _site_for(rng, org.spec.site, org.spec.spread if draft.kind == "staff" else 0)
        if draft.kind == "staff":
            draft.contract_type = rng.choices(CONTRACT_TYPES, weights=CONTRACT_WEIGHTS)[0]
        draft.start, draft.end = _contract(rng, today, draft.contract_type,
                                           may_start_later=draft.kind == "staff")
        if draft.kind != "staff":  # managers have been around for a while
            draft.start = min(draft.start, today - _days(rng, 400, 6000))

    # A few homonyms: four pairs and a triple, among staff.
    staff = [i for i, d in enumerate(drafts) if d.kind == "staff"]
    picks = rng.sample(staff, 11)
    for group in (picks[0:2], picks[2:4], picks[4:6], picks[6:8], picks[8:11]):
        for other in group[1:]:
            drafts[other].first_name = drafts[group[0]].first_name
            drafts[other].last_name = drafts[group[0]].last_name
    # Stray spaces, as hand-typed HR data has (the connection trims them).
    for index in rng.sample(staff, max(3, people // 200)):
        draft = drafts[index]
        if rng.random() < 0.5:
            draft.first_name += " "
        else:
            draft.last_name = " " + draft.last_name

    # Employee ids follow the hiring order.
    order = sorted(range(len(drafts)), key=lambda i: (drafts[i].start, i))
    ids = {index: employee_id(n + 1) for n, index in enumerate(order)}
    emails = _Emails()
    # Birth dates from a generator of their own: the draws of every other column stay as
    # they were before the column existed.
    births = random.Random(seed * 104729 + 3)
    records: dict[int, Person] = {}
    for index in order:
        draft = drafts[index]
        email = ""
        if draft.contract_type != "interim" or rng.random() < 0.4:
            prefix = "ext." if draft.contract_type in ("interim", "contractor") else ""
            email = emails.make(draft.first_name, draft.last_name, prefix)
        records[index] = Person(
            ids[index], draft.first_name, draft.last_name, draft.birth_name, email,
            draft.title, codes[draft.org], draft.site,
            "" if draft.manager is None else ids[draft.manager],
            draft.contract_type, draft.start, draft.end,
            birth_date=_birth_date(births, today),
        )
    rows = [records[i] for i in order]
    rng.shuffle(rows)
    _ensure_a_manager_after_a_report(rows)

    organizations = [
        Organization(codes[i], org.spec.name, "" if org.parent is None else codes[org.parent],
                     ids[heads[i]])
        for i, org in enumerate(orgs)
    ]
    rng.shuffle(organizations)
    return Dataset(
        today, list(SITES), organizations, rows,
        org_sites={codes[i]: o.spec.site for i, o in enumerate(orgs)},
        org_spread={codes[i]: o.spec.spread for i, o in enumerate(orgs)},
        org_titles={codes[i]: o.titles for i, o in enumerate(orgs)},
        org_weights={codes[i]: o.spec.weight for i, o in enumerate(orgs)},
        leads={codes[i]: [ids[x] for x in leads_of[i]] for i in range(len(orgs))},
    )


def _ensure_a_manager_after_a_report(rows: list[Person]) -> None:
    position = {p.employee_id: i for i, p in enumerate(rows)}
    for i, person in enumerate(rows):
        if person.manager_id and position[person.manager_id] > i:
            return
    # Shuffling practically never gets here; swap the first report with its manager if it does.
    for i, person in enumerate(rows):
        if person.manager_id:
            j = position[person.manager_id]
            rows[i], rows[j] = rows[j], rows[i]
            return


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
            manager_id=manager, site_code=_site_for(rng, org_sites[code], org_spread[code]))
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
        changed[employee] = replace(people[employee], contract_end=today + _days(rng, 14, 75))
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
    names = _Names(rng, [(p.first_name, p.last_name) for p in day_one.people])
    emails = _Emails([p.email for p in day_one.people])
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
        start = today + _days(rng, 0, 45) if n != counts.joiners - 1 else joiners[-1].contract_start
        end: date | None = None
        if contract_type != "permanent":
            end = start + _days(rng, 30, 540) if contract_type != "trainee" \
                else start + timedelta(days=182)
        prefix = "ext." if contract_type in ("interim", "contractor") else ""
        joiners.append(Person(
            new_id, first, last, "", emails.make(first, last, prefix), title, code,
            _site_for(rng, org_sites[code], org_spread[code]), manager, contract_type, start, end,
            birth_date=_birth_date(births, today)))
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


# --------------------------------------------------------------------------------------------
# Writing


def write_dataset(data: Dataset, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / PEOPLE_FILE).open("w", encoding="latin-1", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(PEOPLE_COLUMNS)
        writer.writerows(p.row() for p in data.people)
    with (out / ORGANIZATIONS_FILE).open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=",", lineterminator="\r\n")
        writer.writerow(ORGANIZATION_COLUMNS)
        writer.writerows([o.code, o.name, o.parent_code, o.manager_id]
                         for o in data.organizations)
    with (out / SITES_FILE).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=",", lineterminator="\n")
        writer.writerow(SITE_COLUMNS)
        writer.writerows([s.code, s.name, s.city, s.country, s.timezone] for s in data.sites)
    write_contract_types(out)


def write_contract_types(out: Path) -> None:
    """The reference table of contract types: the same every day."""
    with (out / CONTRACT_TYPES_FILE).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=",", lineterminator="\n")
        writer.writerow(CONTRACT_TYPE_COLUMNS)
        writer.writerows(CONTRACT_TYPE_ROWS)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="output folder (default: ./data)")
    parser.add_argument("--people", type=int, default=DEFAULT_PEOPLE,
                        help=f"number of people on day one (default {DEFAULT_PEOPLE}, "
                             f"at least {MIN_PEOPLE})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--today", type=date.fromisoformat, default=DEFAULT_TODAY,
                        help=f"the date of day one, YYYY-MM-DD (default {DEFAULT_TODAY})")
    parser.add_argument("--next-day", action="store_true",
                        help="write the next-day files in OUT, in place of the day-one files")
    args = parser.parse_args(argv)
    if args.people < MIN_PEOPLE:
        parser.error(f"--people must be at least {MIN_PEOPLE}")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(argv)
    out: Path = args.out
    day_one = generate_day_one(args.people, args.seed, args.today)
    next_day = generate_next_day(day_one, args.seed)
    if args.next_day:
        write_dataset(next_day, out)
        print(f"next day ({next_day.today}) written to {out}")
    else:
        write_dataset(day_one, out)
        write_dataset(next_day, out / NEXT_DAY_DIR)
        print(f"day one ({day_one.today}) written to {out}, "
              f"next day to {out / NEXT_DAY_DIR}")
        # The sample's Active Directory (samples/ad.yaml reads it): accounts of the people as
        # they are after the next day, with orphans, leavers' and unused accounts to review.
        from headcount.samples.directory import for_sample
        from headcount.samples.directoryfiles import write_ad_ldif

        try:
            write_ad_ldif(for_sample(day_one, next_day), out / AD_EXPORT)
        except ValueError as exc:  # too few people for every category of account
            print(f"no {AD_EXPORT}: {exc}")
        else:
            print(f"directory export written to {out / AD_EXPORT}")


if __name__ == "__main__":
    main()
