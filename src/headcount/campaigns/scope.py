"""The subjects of a certification campaign's scope, read set-wise: the resources of an entity
type whose values match the filters — only those whose data changed since a date, read from the
history — or the accounts of a managed system, orphans included."""

from __future__ import annotations

import fnmatch
import json
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa

from headcount.campaigns import accounts
from headcount.campaigns.reviewers import record_type
from headcount.campaigns.spec import Scope, ScopeError
from headcount.config.model import EntityType, Project
from headcount.repository.bulk import raw_rows
from headcount.repository.provenance import APPLIED
from headcount.repository.schema import changes, links, resources, runs


@dataclass(slots=True)
class Subject:
    entity_type: str
    key: str
    label: str
    # The identity whose manager reviews it: the subject itself, an account's owner, or none.
    identity: str | None
    details: dict[str, Any] = field(default_factory=dict)


def subjects(conn: sa.Connection, project: Project, scope: Scope) -> list[Subject]:
    if scope.system:
        return _accounts(conn, project, scope)
    found = project.entity_type(scope.entity_type)
    if found is None:
        raise ScopeError(f"scope: no entity type `{scope.entity_type}`")
    et = found[1]
    is_identity = record_type(project, et.identifier) is not None
    changed = None if scope.changed_since is None else \
        changed_since(conn, project, et.identifier, scope.changed_since)
    out = []
    label = labeller(et)
    for key, data in _rows(conn, et.identifier):
        if changed is not None and key not in changed:
            continue
        values = json.loads(data)
        if not scope.filters or matches(values, scope.filters):
            out.append(Subject(et.identifier, key, label(values),
                               key if is_identity else None))
    return out


def labeller(et: EntityType) -> Callable[[dict[str, Any]], str]:
    """`et.display`, its template parsed once: 100,000 subjects read a few fields each."""
    template = et.resource_display_name
    if not template:
        return lambda values: ""
    fields = [f for _, f, _, _ in string.Formatter().parse(template) if f]

    def label(values: dict[str, Any]) -> str:
        try:
            return template.format_map({f: "" if values.get(f) is None else values[f]
                                        for f in fields})
        except (KeyError, ValueError, IndexError, AttributeError):
            return ""

    return label


def matches(values: dict[str, Any], filters: dict[str, str]) -> bool:
    """Every filter matches its property's value, `*` for any text, case ignored."""
    lowered = {k.lower(): v for k, v in values.items()}
    for name, pattern in filters.items():
        value = lowered.get(name.lower())
        text = "" if value is None else str(value).lower()
        if not fnmatch.fnmatchcase(text, pattern.lower()):
            return False
    return True


def changed_since(conn: sa.Connection, project: Project, entity_type: str, since: date
                  ) -> set[str]:
    """The keys of `entity_type` changed by an applied run since `since` (UTC) — directly, or
    through one of their dated records."""
    record = record_type(project, entity_type)
    types = [entity_type, *([record] if record else [])]
    start = datetime.combine(since, time(0), tzinfo=UTC)
    found: dict[str, set[str]] = {}
    for et, key in conn.execute(
            sa.select(changes.c.entity_type, changes.c.resource_key).distinct()
            .join(runs, runs.c.id == changes.c.run_id)
            .where(changes.c.entity_type.in_(types), runs.c.created_at >= start,
                   runs.c.state.in_(APPLIED), runs.c.dry_run.is_(False))):
        found.setdefault(et, set()).add(key)
    out = found.get(entity_type, set())
    if record and found.get(record):
        out |= {target for key, target in conn.execute(
            sa.select(resources.c.key, links.c.target_key)
            .join(links, links.c.source_id == resources.c.id)
            .where(resources.c.entity_type == record, links.c.navigation == f"{record}.User"))
            if key in found[record]}
    return out


def _rows(conn: sa.Connection, entity_type: str) -> list[tuple[str, str]]:
    # Driver rows: SQLAlchemy's row objects cost more than the query at 100,000 resources.
    return [(str(k), str(d)) for k, d in raw_rows(conn, sa.select(
        resources.c.key, resources.c.data)
        .where(resources.c.entity_type == entity_type).order_by(resources.c.key))]


def _accounts(conn: sa.Connection, project: Project, scope: Scope) -> list[Subject]:
    assert scope.system is not None
    entity_type = accounts.entity_type_of(project, scope.system)
    found = project.entity_type(entity_type)
    if found is None:
        raise ScopeError(f"scope: no entity type `{entity_type}` for system `{scope.system}`")
    owners = accounts.owners(conn, scope.system)
    out = []
    label = labeller(found[1])
    for key, data in _rows(conn, found[1].identifier):
        values = json.loads(data)
        if matches(values, scope.filters):
            owner = owners.get(key)
            out.append(Subject(found[1].identifier, key, label(values), owner,
                               {"owner": owner, "orphan": owner is None}))
    return out
