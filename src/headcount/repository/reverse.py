"""The resources that link to one: the flip side of its navigations ("Linked from" on the
resource page), by navigation, without reading the resource's values or history."""

from __future__ import annotations

import sqlalchemy as sa

from headcount.repository.schema import links, resources

Source = tuple[str, str, int]  # entity type, key, id of a resource that links here


def linking(conn: sa.Connection, target_id: int, navigation: str | None = None
            ) -> dict[str, list[Source]]:
    """The sources of the links to `target_id` by navigation (`HR_Person.Manager`), only those
    of `navigation` when given."""
    source = resources.alias("s")
    query = (sa.select(links.c.navigation, source.c.entity_type, source.c.key, source.c.id)
             .join(source, source.c.id == links.c.source_id)
             .where(links.c.target_id == target_id)
             .order_by(links.c.navigation, source.c.key))
    if navigation is not None:
        query = query.where(links.c.navigation == navigation)
    found: dict[str, list[Source]] = {}
    for nav, stype, skey, sid in conn.execute(query):
        found.setdefault(nav, []).append((stype, skey, int(sid)))
    return found
