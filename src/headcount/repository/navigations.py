"""The targets of resources' navigations, read set-wise for lists (issue 12): a page's links in
one query, or a whole entity type's targets of one navigation to filter and sort on."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa

from headcount.repository.schema import links, resources

_BATCH = 5000


def targets_of(conn: sa.Connection, entity_type: str, keys: Sequence[str],
               navigations: Sequence[str]) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """{key: {navigation property: [(target type, target key)]}} for the resources `keys` of
    `entity_type`, in target key order."""
    found: dict[str, dict[str, list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
    if not keys or not navigations:
        return {}
    names = [f"{entity_type}.{n}" for n in navigations]
    ordered = sorted(set(keys))
    for start in range(0, len(ordered), _BATCH):
        rows = conn.execute(
            sa.select(resources.c.key, links.c.navigation, links.c.target_type,
                      links.c.target_key)
            .join(links, links.c.source_id == resources.c.id)
            .where(resources.c.entity_type == entity_type,
                   resources.c.key.in_(ordered[start:start + _BATCH]),
                   links.c.navigation.in_(names))
            .order_by(resources.c.key, links.c.navigation, links.c.target_key))
        for key, navigation, target_type, target_key in rows:
            found[key][navigation.partition(".")[2]].append((target_type, target_key))
    return {k: dict(v) for k, v in found.items()}


def all_targets(conn: sa.Connection, entity_type: str, navigation: str
                ) -> list[tuple[str, str]]:
    """(source key, target key) of every link of one navigation property of `entity_type`."""
    # The driver's own cursor, as the list's cache reads values: a million rows in a second.
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    cursor = dbapi.cursor()
    cursor.execute(
        "SELECT r.key, l.target_key FROM links l JOIN resources r ON r.id = l.source_id "
        f"WHERE r.entity_type = {mark} AND l.navigation = {mark}",
        (entity_type, f"{entity_type}.{navigation}"))
    rows = [(str(k), str(t)) for k, t in cursor.fetchall()]
    cursor.close()
    return rows
