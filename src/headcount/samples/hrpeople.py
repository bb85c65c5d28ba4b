"""The records of the HR sample files and what day one and the next day share to build them:
the columns, the contract types, the pools of names and e-mail addresses, the contract dates.

`headcount.samples.hrfiles` generates and writes the files (SPEC §3–§4).
"""

from __future__ import annotations

import functools
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from headcount.samples.vocabulary import EUROPEAN_SITES, FIRST_NAMES, LAST_NAMES, Site

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
def other_last_names(last_name: str) -> list[str]:
    return [n for n in LAST_NAMES if n != last_name]


def employee_id(number: int) -> str:
    return f"E{number:05d}"


def days(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(days=rng.randint(low, high))


class Names:
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


class Emails:
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


def birth_date(rng: random.Random, today: date) -> date:
    """Between 20 and 64 years old on `today`."""
    return today - days(rng, 20 * 365, 64 * 365)


def contract(rng: random.Random, today: date, contract_type: str, may_start_later: bool
              ) -> tuple[date, date | None]:
    """Start and end dates of a contract, as of `today`."""
    future = may_start_later and rng.random() < {
        "permanent": 0.02, "fixed-term": 0.04, "interim": 0.05, "contractor": 0.03,
        "trainee": 0.12,
    }[contract_type]
    if contract_type == "permanent":
        if future:
            return today + days(rng, 1, 75), None
        tenure = min(int(rng.expovariate(1 / (7 * 365))) + 7, 38 * 365)
        return today - timedelta(days=tenure), None
    if contract_type == "fixed-term":
        start = today + days(rng, 1, 45) if future else today - days(rng, 7, 540)
        end = start + days(rng, 90, 730)
        if end < today and rng.random() < 0.85:  # most expired ones were extended
            end = today + days(rng, 1, 365)
        return start, end
    if contract_type == "interim":
        start = today + days(rng, 1, 20) if future else today - days(rng, 1, 180)
        end = start + days(rng, 14, 270)
        if end < today and rng.random() < 0.9:
            end = today + days(rng, 1, 90)
        return start, end
    if contract_type == "contractor":
        start = today + days(rng, 1, 30) if future else today - days(rng, 30, 1500)
        return start, today + days(rng, 30, 540) if rng.random() < 0.7 else None
    # trainee: six months, the January intake is already known
    start = today + days(rng, 1, 60) if future else today - days(rng, 1, 175)
    return start, start + timedelta(days=182)


def site_for(rng: random.Random, home: str, spread: float) -> str:
    if home in EUROPEAN_SITES and rng.random() < spread:
        return rng.choice([s for s in EUROPEAN_SITES if s != home])
    return home
