"""Resources by their names (issue 12): what a page, an export or the CLI shows for a resource is
its entity type's display name (`resource_display_name`, e.g. '{LastName} {FirstName}'), with
the key beside it; the key alone only when the display name is empty.

Read from the names table (schema/search.py), kept by every write; a resource without a row there
yet is named from its values. Set-wise: one query per batch of resources, whatever the number of
pages' links."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

from headcount.config.model import Project
from headcount.repository.naming import Naming
from headcount.repository.schema import resource_names, resources

# Bound parameters per query: SQLite's limit is 32,766.
_BATCH = 5000

_NAMED = resources.outerjoin(resource_names, resource_names.c.resource_id == resources.c.id)


def display_names(conn: sa.Connection, project: Project,
                  refs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The display name of each existing (entity type, key) among `refs`; a resource that does
    not exist is absent from the answer, one without a display name maps to its key."""
    by_type: dict[str, set[str]] = defaultdict(set)
    for entity_type, key in refs:
        by_type[entity_type].add(key)
    naming = Naming(project)
    names: dict[tuple[str, str], str] = {}
    for entity_type, keys in by_type.items():
        template = naming.template(entity_type)
        ordered = sorted(keys)
        for start in range(0, len(ordered), _BATCH):
            rows = conn.execute(sa.select(resources.c.key, resource_names.c.display,
                                          sa.case((resource_names.c.display.is_(None),
                                                   resources.c.data)))
                                .select_from(_NAMED).where(
                resources.c.entity_type == entity_type,
                resources.c.key.in_(ordered[start:start + _BATCH])))
            for key, shown, data in rows:
                names[(entity_type, key)] = shown if shown is not None else \
                    template.display(json.loads(data), key)
    return names


def display_names_by_id(conn: sa.Connection, project: Project,
                        ids: Iterable[int]) -> dict[int, tuple[str, str, str]]:
    """(entity type, key, display name) of each existing resource id among `ids`."""
    naming = Naming(project)
    ordered = sorted(set(ids))
    named: dict[int, tuple[str, str, str]] = {}
    for start in range(0, len(ordered), _BATCH):
        rows = conn.execute(sa.select(resources.c.id, resources.c.entity_type, resources.c.key,
                                      resource_names.c.display,
                                      sa.case((resource_names.c.display.is_(None),
                                               resources.c.data)))
                            .select_from(_NAMED)
                            .where(resources.c.id.in_(ordered[start:start + _BATCH])))
        for rid, entity_type, key, shown, data in rows:
            if shown is None:
                shown = naming.template(entity_type).display(json.loads(data), key)
            named[int(rid)] = (entity_type, key, shown)
    return named
