"""Reading resources: one with its links, reverse links and history; lists by entity type."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from headcount.errors import NotFound
from headcount.repository.changelist import change_data
from headcount.repository.provenance import Origin
from headcount.repository.schema import changes, links, resources, runs


@dataclass
class HistoryEntry:
    run_id: int
    at: Any
    kind: str
    data: str | None
    navigation: str | None
    target_key: str | None
    connection: str | None
    line: int | None
    file: str | None
    # Where the change came from, as provenance says it ("upload 7 by alice, file
    # workforce.xlsx, tab Identity record, row 12"; "HR file hr_people.csv line 812").
    source: str = ""


@dataclass
class ResourceView:
    id: int
    entity_type: str
    key: str
    values: dict[str, Any]
    links: dict[str, list[tuple[str, str, int | None]]] = field(default_factory=dict)
    reverse: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    history: list[HistoryEntry] = field(default_factory=list)


def count(conn: sa.Connection, entity_type: str) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(resources)
                            .where(resources.c.entity_type == entity_type)).scalar_one())


def list_resources(conn: sa.Connection, entity_type: str, limit: int = 50, offset: int = 0
                   ) -> list[tuple[str, dict[str, Any]]]:
    rows = conn.execute(sa.select(resources.c.key, resources.c.data)
                        .where(resources.c.entity_type == entity_type)
                        .order_by(resources.c.key).limit(limit).offset(offset)).all()
    return [(k, json.loads(d)) for k, d in rows]


def get_resource(conn: sa.Connection, entity_type: str, key: str) -> ResourceView:
    row = conn.execute(sa.select(resources.c.id, resources.c.data).where(
        resources.c.entity_type == entity_type, resources.c.key == key)).first()
    if row is None:
        raise NotFound(f"no {entity_type} with key `{key}`")
    view = ResourceView(int(row[0]), entity_type, key, json.loads(row[1]))
    for nav, tkey, ttype, tid in conn.execute(
            sa.select(links.c.navigation, links.c.target_key, links.c.target_type,
                      links.c.target_id).where(links.c.source_id == view.id)
            .order_by(links.c.navigation, links.c.target_key)):
        view.links.setdefault(nav.partition(".")[2], []).append((ttype, tkey, tid))
    source = resources.alias("s")
    for nav, skey, stype, sid in conn.execute(
            sa.select(links.c.navigation, source.c.key, source.c.entity_type, source.c.id)
            .join(source, source.c.id == links.c.source_id)
            .where(links.c.target_id == view.id).order_by(links.c.navigation, source.c.key)):
        view.reverse.setdefault(nav, []).append((stype, skey, sid))
    run_files: dict[int, dict[str, dict[str, Any]]] = {}
    for ch in conn.execute(
            sa.select(changes.c.id, changes.c.run_id, runs.c.finished_at, runs.c.mode,
                      runs.c.reason, changes.c.kind, change_data().label("data"),
                      changes.c.after,
                      changes.c.navigation, changes.c.target_key, changes.c.connection,
                      changes.c.line, runs.c.files, runs.c.state)
            .join(runs, runs.c.id == changes.c.run_id)
            .where(changes.c.entity_type == entity_type, changes.c.resource_key == key,
                   runs.c.state.in_(["succeeded", "succeeded with warnings"]),
                   runs.c.dry_run.is_(False))
            .order_by(changes.c.id)):
        if ch.run_id not in run_files:
            run_files[ch.run_id] = {f["connection"]: f for f in json.loads(ch.files or "[]")}
        info = run_files[ch.run_id].get(ch.connection or "", {})
        file = info.get("name")
        view.history.append(HistoryEntry(
            ch.run_id, ch.finished_at, ch.kind, ch.data if not ch.kind.startswith("link_")
            else None, ch.navigation, ch.target_key, ch.connection, ch.line, file,
            _source(Origin.of(ch, info, ch.line))))
        if ch.kind == "insert" and ch.after:
            # The links of an inserted resource are kept in its insert row.
            view.history += [HistoryEntry(
                ch.run_id, ch.finished_at, "link_insert", None, link["navigation"],
                link["target_key"], ch.connection, link["line"], file,
                _source(Origin.of(ch, info, link["line"])))
                for link in json.loads(ch.after)["links"]]
    return view


def _source(origin: Origin) -> str:
    """Provenance's sentence for a file or an upload; otherwise the name of what wrote it (a
    resource type, a workflow), which provenance would call a connection."""
    if origin.file or origin.upload is not None:
        return origin.where()
    return origin.connection or ""


@dataclass
class Page:
    """One page of a list, and how many match (counted up to COUNT_CAP)."""

    total: int
    capped: bool
    rows: list[tuple[str, dict[str, Any]]]


COUNT_CAP = 10_000


def json_value(column: sa.ColumnElement[Any], prop: str, dialect: str
               ) -> sa.ColumnElement[Any]:
    """The value of one property inside a JSON text column (SQL NULL when absent or null), in
    each dialect's own function: what searches, sorts, the data model scan and the deployment's
    data-at-risk check all read."""
    if dialect == "sqlite":
        return sa.func.json_extract(column, f'$."{prop}"')
    value: sa.ColumnElement[Any] = sa.cast(column, sa.JSON)[prop].as_string()
    return value


def _value(conn: sa.Connection, prop: str) -> sa.ColumnElement[Any]:
    return json_value(resources.c.data, prop, conn.dialect.name)


def search(conn: sa.Connection, entity_type: str, q: str | None = None,
           filters: dict[str, str] | None = None, sort: str | None = None,
           descending: bool = False, limit: int = 50, offset: int = 0) -> Page:
    """Resources of an entity type: a search over their values, filters on properties, a sort
    (by key unless told), a page. `filters` and `sort` name properties the caller checked."""
    where: list[sa.ColumnElement[bool]] = [resources.c.entity_type == entity_type]
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        column = resources.c.data
        where.append(column.ilike(pattern, escape="\\") if conn.dialect.name != "sqlite"
                     else column.like(pattern, escape="\\"))
    for prop, value in (filters or {}).items():
        where.append(_value(conn, prop) == value)
    order: sa.ColumnElement[Any] = resources.c.key if not sort else _value(conn, sort)
    order_by = [order.desc() if descending else order.asc(), resources.c.key]
    rows = conn.execute(sa.select(resources.c.key, resources.c.data).where(*where)
                        .order_by(*order_by).limit(limit).offset(offset)).all()
    if len(rows) < limit and (rows or offset == 0):
        # The last page: the total is known without counting (a rare search scans once).
        total = offset + len(rows)
    else:
        counted = sa.select(sa.literal(1)).select_from(resources).where(*where) \
            .limit(COUNT_CAP + 1)
        total = int(conn.execute(sa.select(sa.func.count()).select_from(counted.subquery()))
                    .scalar_one())
    return Page(min(total, COUNT_CAP), total > COUNT_CAP,
                [(k, json.loads(d)) for k, d in rows])
