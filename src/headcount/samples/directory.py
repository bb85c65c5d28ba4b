"""The sample's Active Directory: accounts built from the sample's people, for the managed-system
tests, the benchmarks and the demo (SPEC §10).

Every account falls in exactly one category, so the counts a review must find are known exactly:

- `owned`: `employeeNumber` = the EmployeeId of an active person, enabled, a recent logon;
- `orphan`: no `employeeNumber`, names that match nobody;
- `likely-owner`: no `employeeNumber`, the given name and surname of exactly one active person
  (the correlation by name suggests that person, below 100);
- `leaver`: enabled, the `employeeNumber` of a person who has left (gone from the next-day file,
  or whose contract ended a month before);
- `disabled`: `userAccountControl` with ACCOUNTDISABLE (0x2), of an active person;
- `unused`: enabled, of an active person, `lastLogonTimestamp` 200 days before `now`;
- `service`: in `OU=Service Accounts`, description "Service account: …", no `employeeNumber`.

"Active" keeps a margin around the sample's day (started, no end date within 90 days) and
"left" one of 30 days, so that a test run some weeks after that day finds the same states.
The output only depends on the arguments.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from headcount.samples import hrfiles
from headcount.samples.vocabulary import FIRST_NAMES, LAST_NAMES

REALM = "headcount.test"
NETBIOS_DOMAIN = "HEADCOUNT"
BASE_DN = "DC=headcount,DC=test"
PEOPLE_OU = f"OU=People,{BASE_DN}"
SERVICE_OU = f"OU=Service Accounts,{BASE_DN}"
GROUPS_OU = f"OU=Groups,{BASE_DN}"
ORGANIZATIONAL_UNITS = (PEOPLE_OU, SERVICE_OU, GROUPS_OU)
# The domain SID the sample's accounts are numbered in (Samba is provisioned with it); their
# RIDs start far above the pool a DC allocates from (1000…), so accounts added later never clash.
DOMAIN_SID = "S-1-5-21-2026112601-3141592653-1618033988"
FIRST_RID = 20000
DEFAULT_ACCOUNTS = 1200
UNUSED_DAYS = 200
SERVICE_PREFIX = "Service account: "
MAX_SAM_LENGTH = 20  # sAMAccountName's limit in AD

NORMAL_ACCOUNT = 0x200
ACCOUNTDISABLE = 0x2
DONT_EXPIRE_PASSWORD = 0x10000

SERVICES = [
    ("backup", "nightly backups"), ("sqlreport", "SQL Server Reporting Services"),
    ("jenkins", "build agents"), ("sharepoint", "SharePoint farm"), ("scan", "scan to e-mail"),
    ("monitoring", "monitoring probes"), ("radius", "VPN RADIUS bind"), ("sap-rfc", "SAP RFC"),
    ("crm-sync", "CRM directory sync"), ("payroll", "payroll batch"), ("print", "print server"),
    ("wsus", "Windows updates"), ("adsync", "Entra Connect"), ("jira", "Jira LDAP bind"),
]


class Category(StrEnum):
    OWNED = "owned"
    ORPHAN = "orphan"
    LIKELY_OWNER = "likely-owner"
    LEAVER = "leaver"
    DISABLED = "disabled"
    UNUSED = "unused"
    SERVICE = "service"


@dataclass(frozen=True)
class Account:
    """One user object, with what it was built as (`category`, the expected `owner` or the
    likely one as EmployeeIds)."""

    dn: str
    cn: str
    sam_account_name: str
    given_name: str
    sn: str
    display_name: str
    mail: str
    employee_number: str
    description: str
    user_account_control: int
    last_logon: datetime | None
    pwd_last_set: datetime
    when_created: datetime
    object_sid: str
    object_guid: str
    member_of: tuple[str, ...]
    category: Category
    owner: str = ""
    likely_owner: str = ""

    @property
    def disabled(self) -> bool:
        return bool(self.user_account_control & ACCOUNTDISABLE)

    @property
    def user_principal_name(self) -> str:
        return f"{self.sam_account_name}@{REALM}"


@dataclass(frozen=True)
class Group:
    dn: str
    cn: str
    description: str
    members: tuple[str, ...]
    object_sid: str
    object_guid: str


@dataclass(frozen=True)
class DirectoryCounts:
    """How many accounts of each category were built (they add up to `accounts`)."""

    accounts: int
    owned: int
    orphans: int
    likely_owner: int
    leavers: int
    disabled: int
    unused: int
    service: int

    @property
    def without_owner(self) -> int:
        """Accounts no `employeeNumber` links to a person, service accounts aside."""
        return self.orphans + self.likely_owner


@dataclass(frozen=True)
class SampleDirectory:
    accounts: tuple[Account, ...]
    groups: tuple[Group, ...]
    counts: DirectoryCounts
    now: datetime

    def of(self, category: Category) -> list[Account]:
        return [a for a in self.accounts if a.category is category]


@dataclass(frozen=True)
class Sizes:
    """How many accounts of each category to build; `owned` takes the rest."""

    orphans: int = 40
    likely_owner: int = 15
    leavers: int = 20
    disabled: int = 30
    unused: int = 30
    service: int = 20


def sample_directory(people: int = hrfiles.DEFAULT_PEOPLE, seed: int = hrfiles.DEFAULT_SEED,
                     accounts: int = DEFAULT_ACCOUNTS, today: date = hrfiles.DEFAULT_TODAY,
                     sizes: Sizes = Sizes()) -> SampleDirectory:
    """The directory of the sample's people as they are after the next-day set."""
    day_one = hrfiles.generate_day_one(people, seed, today)
    return build_directory(day_one, hrfiles.generate_next_day(day_one, seed), accounts, seed,
                           sizes)


def build_directory(day_one: hrfiles.Dataset, next_day: hrfiles.Dataset,
                    accounts: int = DEFAULT_ACCOUNTS, seed: int = hrfiles.DEFAULT_SEED,
                    sizes: Sizes = Sizes()) -> SampleDirectory:
    rng = random.Random(seed * 31337 + 10)
    today = next_day.today
    now = datetime.combine(today, time(8, 0), tzinfo=UTC)
    active, left = _active_and_left(day_one, next_day)
    leavers = sorted(left)[: sizes.leavers]
    rng.shuffle(leavers)
    owned = (accounts - sizes.orphans - sizes.likely_owner - len(leavers) - sizes.disabled
             - sizes.unused - sizes.service)
    if owned < 0:
        raise ValueError(f"{accounts} accounts cannot hold the categories asked for")
    unique_names = _names_of_one_person(day_one, next_day)
    ids = sorted(active)
    rng.shuffle(ids)
    likely = [i for i in ids if _name_key(active[i]) in unique_names][: sizes.likely_owner]
    rest = [i for i in ids if i not in set(likely)]
    needed = owned + sizes.disabled + sizes.unused
    if len(rest) < needed or len(likely) < sizes.likely_owner:
        raise ValueError(f"{len(active)} active people cannot own {needed} accounts")

    plan: list[tuple[Category, hrfiles.Person | None]] = []
    plan += [(Category.OWNED, active[i]) for i in rest[:owned]]
    plan += [(Category.DISABLED, active[i]) for i in rest[owned:owned + sizes.disabled]]
    plan += [(Category.UNUSED, active[i]) for i in rest[owned + sizes.disabled:needed]]
    plan += [(Category.LIKELY_OWNER, active[i]) for i in likely]
    plan += [(Category.LEAVER, left[i]) for i in leavers]
    plan += [(Category.ORPHAN, None)] * sizes.orphans
    plan += [(Category.SERVICE, None)] * sizes.service
    rng.shuffle(plan)

    everyone = {_name_key(p) for day in (day_one, next_day) for p in day.people}
    builder = _Builder(rng, now, everyone, {o.code: o.name for o in next_day.organizations})
    built = [builder.account(category, person, n) for n, (category, person) in enumerate(plan)]
    groups = builder.groups(built, len(built))
    counts = DirectoryCounts(
        accounts=len(built), owned=owned, orphans=sizes.orphans,
        likely_owner=sizes.likely_owner, leavers=len(leavers), disabled=sizes.disabled,
        unused=sizes.unused, service=sizes.service)
    return SampleDirectory(tuple(built), groups, counts, now)


# Beyond the demo's sizes (benchmarks of 100,000 people and more) the names that match nobody,
# which orphans need, run out; and no benchmark of HR needs the directory.
MAX_SAMPLE_PEOPLE = 10_000


def for_sample(day_one: hrfiles.Dataset, next_day: hrfiles.Dataset) -> SampleDirectory:
    """The directory `headcount init` and the demo write beside the HR files: the default one
    for the default 2,000 people, scaled down (at least one account of each category) for a
    smaller sample."""
    people = len(day_one.people)
    if people > MAX_SAMPLE_PEOPLE:
        raise ValueError(f"the sample's directory is built for at most {MAX_SAMPLE_PEOPLE:,} "
                         f"people, not {people:,}")
    if people >= hrfiles.DEFAULT_PEOPLE:
        return build_directory(day_one, next_day)
    share = people / hrfiles.DEFAULT_PEOPLE
    default = Sizes()
    sizes = Sizes(**{name: max(1, round(getattr(default, name) * share))
                     for name in ("orphans", "likely_owner", "leavers", "disabled", "unused",
                                  "service")})
    return build_directory(day_one, next_day, max(10, round(DEFAULT_ACCOUNTS * share)),
                           sizes=sizes)


def _active_and_left(day_one: hrfiles.Dataset, next_day: hrfiles.Dataset
                     ) -> tuple[dict[str, hrfiles.Person], dict[str, hrfiles.Person]]:
    today = next_day.today
    now_ids = {p.employee_id for p in next_day.people}
    # A contractor back as an employee (same names and birth date) is the same identity.
    comebacks = {(p.first_name, p.last_name, p.birth_date) for p in next_day.people}
    gone = {p.employee_id: p for p in day_one.people
            if p.employee_id not in now_ids
            and (p.first_name, p.last_name, p.birth_date) not in comebacks}
    former = {(d.first_name, d.last_name, d.birth_date) for d in day_one.people
              if d.employee_id not in now_ids}
    returned = {p.employee_id for p in next_day.people
                if (p.first_name, p.last_name, p.birth_date) in former}
    active: dict[str, hrfiles.Person] = {}
    left = dict(gone)
    for person in next_day.people:
        if person.employee_id in returned:
            continue
        end = person.contract_end
        if end is not None and end < today - timedelta(days=30):
            left[person.employee_id] = person
        elif person.contract_start <= today and (end is None or end > today + timedelta(90)):
            active[person.employee_id] = person
    return active, left


def _name_key(person: hrfiles.Person) -> tuple[str, str]:
    return hrfiles.ascii_slug(person.first_name), hrfiles.ascii_slug(person.last_name)


def _names_of_one_person(*days: hrfiles.Dataset) -> set[tuple[str, str]]:
    """Normalised (first, last) names that only one person of either day holds."""
    holders: dict[tuple[str, str], set[str]] = {}
    for day in days:
        for person in day.people:
            holders.setdefault(_name_key(person), set()).add(person.employee_id)
    once = {name for name, ids in holders.items() if len(ids) == 1}
    # In either order: a correlation on display names may not keep the order.
    return {(first, last) for first, last in once if (last, first) not in holders}


class _Builder:
    def __init__(self, rng: random.Random, now: datetime, taken: set[tuple[str, str]],
                 organizations: dict[str, str]) -> None:
        # `taken`: the normalised names of every person, which no orphan may carry.
        self._rng = rng
        self._now = now
        self._sams: set[str] = set()
        self._cns: set[str] = set()
        self._organizations = organizations
        self._orphan_names = self._free_names(taken)
        self._services = 0
        self.members: dict[str, list[str]] = {}

    def _free_names(self, taken: set[tuple[str, str]]) -> list[tuple[str, str]]:
        used = set(taken) | {(last, first) for first, last in taken}
        free = [(f, last) for f in FIRST_NAMES for last in LAST_NAMES
                if (hrfiles.ascii_slug(f), hrfiles.ascii_slug(last)) not in used
                and (hrfiles.ascii_slug(last), hrfiles.ascii_slug(f)) not in used]
        self._rng.shuffle(free)
        return free

    def _days_ago(self, low: float, high: float) -> datetime:
        return self._now - timedelta(seconds=int(self._rng.uniform(low, high) * 86400))

    def _sam(self, base: str) -> str:
        base = base[:MAX_SAM_LENGTH]
        number = 1
        while True:
            sam = base if number == 1 else f"{base[:MAX_SAM_LENGTH - len(str(number))]}{number}"
            if sam not in self._sams:
                self._sams.add(sam)
                return sam
            number += 1

    def _cn(self, name: str, sam: str) -> str:
        cn = name if name not in self._cns else f"{name} ({sam})"
        self._cns.add(cn)
        return cn

    def account(self, category: Category, person: hrfiles.Person | None, n: int) -> Account:
        rng = self._rng
        sid = f"{DOMAIN_SID}-{FIRST_RID + n}"
        guid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        uac = NORMAL_ACCOUNT
        last_logon: datetime | None = self._days_ago(0, 10)
        if category is Category.SERVICE:
            return self._service(sid, guid, last_logon)
        if person is None:
            if not self._orphan_names:
                raise ValueError("no names left that match nobody, for an orphan account")
            first, last = self._orphan_names.pop()
            mail = f"{hrfiles.ascii_slug(first)}.{hrfiles.ascii_slug(last)}@{hrfiles.EMAIL_DOMAIN}"
            created = self._days_ago(400, 3000)
            org = ""
        else:
            first, last = person.first_name.strip(), person.last_name.strip()
            mail = person.email
            created = datetime.combine(max(person.contract_start, date(2005, 1, 1)),
                                       time(9, 0), tzinfo=UTC)
            org = person.organization_code
        if category is Category.DISABLED:
            uac |= ACCOUNTDISABLE
            last_logon = self._days_ago(20, 60)
        elif category is Category.UNUSED:
            last_logon = self._now - timedelta(days=UNUSED_DAYS)
        pwd_last_set = min(self._days_ago(1, 300), last_logon or self._now)
        created = min(created, pwd_last_set)
        sam = self._sam(hrfiles.ascii_slug(first)[:1] + hrfiles.ascii_slug(last))
        display = f"{first} {last}"
        cn = self._cn(display, sam)
        dn = f"CN={escape_rdn(cn)},{PEOPLE_OU}"
        groups = ["All-Staff"] + ([f"Org-{org}"] if org else [])
        if rng.random() < 0.3:
            groups.append("VPN-Users")
        for group in groups:
            self.members.setdefault(group, []).append(dn)
        employee_number = person.employee_id if person and category in {
            Category.OWNED, Category.DISABLED, Category.UNUSED, Category.LEAVER} else ""
        return Account(
            dn=dn, cn=cn, sam_account_name=sam, given_name=first, sn=last, display_name=display,
            mail=mail, employee_number=employee_number,
            description=person.title if person else "", user_account_control=uac,
            last_logon=last_logon, pwd_last_set=pwd_last_set, when_created=created,
            object_sid=sid, object_guid=guid,
            member_of=tuple(_group_dn(g) for g in groups), category=category,
            owner=employee_number,
            likely_owner=person.employee_id if person and category is Category.LIKELY_OWNER
            else "")

    def _service(self, sid: str, guid: str, last_logon: datetime | None) -> Account:
        name, purpose = SERVICES[self._services % len(SERVICES)]
        round_ = self._services // len(SERVICES)
        self._services += 1
        sam = self._sam(f"svc-{name}{round_ + 1 if round_ else ''}")
        created = self._days_ago(300, 3000)
        dn = f"CN={escape_rdn(sam)},{SERVICE_OU}"
        self.members.setdefault("Service-Accounts", []).append(dn)
        return Account(
            dn=dn, cn=sam, sam_account_name=sam, given_name="", sn="", display_name=sam,
            mail="", employee_number="", description=f"{SERVICE_PREFIX}{purpose}",
            user_account_control=NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD, last_logon=last_logon,
            pwd_last_set=created, when_created=created, object_sid=sid, object_guid=guid,
            member_of=(_group_dn("Service-Accounts"),), category=Category.SERVICE)

    def groups(self, accounts: list[Account], first: int) -> tuple[Group, ...]:
        described = {"All-Staff": "Every member of staff", "VPN-Users": "Remote access",
                     "Service-Accounts": "Accounts of applications"}
        out = []
        for n, name in enumerate(sorted(self.members)):
            code = name.removeprefix("Org-")
            description = described.get(name) or self._organizations.get(code, code)
            out.append(Group(
                dn=_group_dn(name), cn=name, description=description,
                members=tuple(self.members[name]),
                object_sid=f"{DOMAIN_SID}-{FIRST_RID + first + n}",
                object_guid=str(uuid.UUID(int=self._rng.getrandbits(128), version=4))))
        return tuple(out)


def _group_dn(name: str) -> str:
    return f"CN={escape_rdn(name)},{GROUPS_OU}"


def escape_rdn(value: str) -> str:
    """An attribute value as RFC 4514 writes it in a DN."""
    out = "".join(f"\\{c}" if c in ',+"\\<>;=' else c for c in value)
    if out.startswith(("#", " ")):
        out = "\\" + out
    if out.endswith(" "):
        out = out[:-1] + "\\ "
    return out
