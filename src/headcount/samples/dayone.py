"""Day one of the HR sample: the organization tree staffed with N people, homonyms, stray
spaces, future contracts, managers listed after their reports (SPEC §3–§4)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from headcount.samples.hrpeople import (
    CONTRACT_TYPES,
    CONTRACT_WEIGHTS,
    DEFAULT_PEOPLE,
    DEFAULT_SEED,
    DEFAULT_TODAY,
    MIN_PEOPLE,
    Dataset,
    Emails,
    Names,
    Organization,
    Person,
    birth_date,
    contract,
    days,
    employee_id,
    other_last_names,
    site_for,
)
from headcount.samples.vocabulary import ASSISTANTS, SITES, TREE, OrgSpec

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

    names = Names(rng)
    for draft in drafts:
        org = orgs[draft.org]
        draft.first_name, draft.last_name = names.draw()
        if rng.random() < 0.12:
            draft.birth_name = rng.choice(other_last_names(draft.last_name))
        draft.site = site_for(rng, org.spec.site, org.spec.spread if draft.kind == "staff" else 0)
        if draft.kind == "staff":
            draft.contract_type = rng.choices(CONTRACT_TYPES, weights=CONTRACT_WEIGHTS)[0]
        draft.start, draft.end = contract(rng, today, draft.contract_type,
                                           may_start_later=draft.kind == "staff")
        if draft.kind != "staff":  # managers have been around for a while
            draft.start = min(draft.start, today - days(rng, 400, 6000))

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
    emails = Emails()
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
            birth_date=birth_date(births, today),
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
