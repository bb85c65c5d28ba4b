"""Resources by their names (issue 12): what a page, an export or the CLI shows for a resource is
its entity type's display name (`resource_display_name`, e.g. '{LastName} {FirstName}'), with
the key beside it; the key alone only when the display name is empty.

Set-wise: one query per batch of resources, whatever the number of pages' links."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

from headcount.config.model import Project
from headcount.repository.schema import resources

# Bound parameters per query: SQLite's limit is 32,766.
_BATCH = 5000


def display_names(conn: sa.Connection, project: Project,
                  refs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The display name of each existing (entity type, key) among `refs`; a resource that does
    not exist is absent from the answer, one without a display name maps to its key."""
    by_type: dict[str, set[str]] = defaultdict(set)
    for entity_type, key in refs:
        by_type[entity_type].add(key)
    names: dict[tuple[str, str], str] = {}
    for entity_type, keys in by_type.items():
        found = project.entity_type(entity_type)
        et = found[1] if found else None
        ordered = sorted(keys)
        for start in range(0, len(ordered), _BATCH):
            rows = conn.execute(sa.select(resources.c.key, resources.c.data).where(
                resources.c.entity_type == entity_type,
                resources.c.key.in_(ordered[start:start + _BATCH])))
            for key, data in rows:
                shown = et.display(json.loads(data)).strip() if et else ""
                names[(entity_type, key)] = shown or key
    return names


def display_names_by_id(conn: sa.Connection, project: Project,
                        ids: Iterable[int]) -> dict[int, tuple[str, str, str]]:
    """(entity type, key, display name) of each existing resource id among `ids`."""
    ordered = sorted(set(ids))
    named: dict[int, tuple[str, str, str]] = {}
    for start in range(0, len(ordered), _BATCH):
        rows = conn.execute(sa.select(resources.c.id, resources.c.entity_type, resources.c.key,
                                      resources.c.data)
                            .where(resources.c.id.in_(ordered[start:start + _BATCH])))
        for rid, entity_type, key, data in rows:
            found = project.entity_type(entity_type)
            shown = found[1].display(json.loads(data)).strip() if found else ""
            named[int(rid)] = (entity_type, key, shown or key)
    return named
