"""Homonym detection (SPEC §7.3): before a creation workflow creates a person, the existing
resources with the same names, the names inverted, or the same birth date and a name in
common — case, diacritics and spaces ignored.

The names are compared in an index kept in the database (`homonym_names`): each resource's
normalised names and birth date, with the hash of the values they were read from. A check
first brings the index up to date set-wise — one statement drops the rows whose resource
changed or went (their hash differs), one reads the resources with no row, and only those are
normalised in Python — then asks the index, whose (names) and (birth date) indexes answer
without a scan. A check costs two anti-joins on (key, hash) over the entity type, and Python
work for the resources written since the last check only."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from headcount.config.homonym import Homonyms
from headcount.config.model import Project
from headcount.config.workflow import Workflow
from headcount.policy.correlation import normalise
from headcount.repository.schema import homonym_names, resources

STEPS = ("whitespace", "diacritics", "case")
LIMIT = 20


@dataclass(frozen=True)
class Homonym:
    entity_type: str
    key: str
    display_name: str
    # Why it is one: `same names`, `inverted names`, `same birth date`.
    reasons: list[str]


def fold(value: Any) -> str:
    """A name as compared: `  Zoé  DUPONT` and `zoe dupont` are one."""
    return normalise(value, STEPS)


def _scope(entity_type: str, spec: Homonyms) -> str:
    # The index is per entity type and per properties read: a configuration naming other
    # properties starts an index of its own rather than trusting one read from others.
    return "/".join([entity_type, spec.last_name, spec.first_name, spec.birth_date or ""])


def refresh(conn: sa.Connection, entity_type: str, spec: Homonyms) -> int:
    """Bring the index of `entity_type` up to date; the number of resources (re)read."""
    h, r = homonym_names.c, resources.c
    scope = _scope(entity_type, spec)
    conn.execute(sa.delete(homonym_names).where(h.scope == scope, ~sa.exists(
        sa.select(r.id).where(r.entity_type == entity_type, r.key == h.key,
                              r.hash == h.hash))))
    missing = conn.execute(sa.select(r.key, r.hash, r.data).where(
        r.entity_type == entity_type, ~sa.exists(sa.select(h.key).where(
            h.scope == scope, h.key == r.key)))).all()
    rows = []
    for key, digest, data in missing:
        values = json.loads(data)
        birth = values.get(spec.birth_date) if spec.birth_date else None
        rows.append({"scope": scope, "key": key, "hash": digest,
                     "last_name": fold(values.get(spec.last_name)),
                     "first_name": fold(values.get(spec.first_name)),
                     "birth_date": None if birth in (None, "") else str(birth)})
    if rows:
        insert = (sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert)(
            homonym_names)
        # Another check may have indexed the same resources meanwhile: theirs are as good.
        conn.execute(insert.on_conflict_do_nothing(), rows)
    return len(rows)


def find(conn: sa.Connection, project: Project, wf: Workflow, values: Mapping[str, Any],
         exclude: str | None = None) -> list[Homonym]:
    """The resources of the workflow's entity type that `values` (a creation's) may
    duplicate, from the index as `refresh` left it; none when the workflow declares no
    `homonyms` or the names are empty."""
    spec = wf.homonyms
    found = project.entity_type(wf.entity_type)
    if spec is None or found is None:
        return []
    et = found[1]
    last, first = fold(values.get(spec.last_name)), fold(values.get(spec.first_name))
    birth_value = values.get(spec.birth_date) if spec.birth_date else None
    birth = None if birth_value in (None, "") else str(birth_value)
    if not last and not first:
        return []
    h = homonym_names.c
    names = [n for n in (last, first) if n]
    alike: list[sa.ColumnElement[bool]] = [
        sa.and_(h.last_name == last, h.first_name == first),
        sa.and_(h.last_name == first, h.first_name == last)]
    if birth is not None:
        alike.append(sa.and_(h.birth_date == birth, sa.or_(h.last_name.in_(names),
                                                           h.first_name.in_(names))))
    where = [h.scope == _scope(et.identifier, spec), sa.or_(*alike)]
    if exclude is not None:
        where.append(h.key != exclude)
    hits = conn.execute(sa.select(h.key, h.last_name, h.first_name, h.birth_date)
                        .where(*where).order_by(h.key).limit(LIMIT)).all()
    if not hits:
        return []
    data = {str(k): str(d) for k, d in conn.execute(sa.select(resources.c.key,
                                                             resources.c.data).where(
        resources.c.entity_type == et.identifier, resources.c.key.in_([h[0] for h in hits])))}
    out = []
    for key, hit_last, hit_first, hit_birth in hits:
        reasons = []
        if (hit_last, hit_first) == (last, first):
            reasons.append("same names")
        elif (hit_last, hit_first) == (first, last):
            reasons.append("inverted names")
        if birth is not None and hit_birth == birth:
            reasons.append("same birth date")
        shown = et.display(json.loads(data[key])) if key in data else ""
        out.append(Homonym(et.identifier, key, shown, reasons))
    return out
