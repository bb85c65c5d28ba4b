"""The change list of a run as people read it (SPEC §4.6): paged, filtered by kind, with link
changes. The links of a resource the run inserted are stored in its insert row (see
`record_changes`): they are listed under it, and with the other link inserts when the list is
filtered to `link_insert`. A run applied at once leaves the record of an insert to the resource
(NULL `data`, see `apply_and_record`): `change_data` reads it back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from headcount.errors import HeadcountError
from headcount.repository.database import is_sqlite
from headcount.repository.runs import get_run
from headcount.repository.schema import changes, inserted_records, resources

KINDS = ("insert", "update", "delete", "link_insert", "link_delete")
# The record of an insert row that holds none: copied aside when its resource first changed or
# went, else still the resource's (coalesce reads on only while it finds none).
_DATA = ("coalesce(data, (SELECT k.data FROM inserted_records k WHERE k.change_id = changes.id), "
         "(SELECT r.data FROM resources r WHERE r.entity_type = changes.entity_type "
         "AND r.key = changes.resource_key))")
_FIELDS = ("kind, entity_type, resource_key, navigation, target_key, "
           f"{_DATA} AS data, connection, line, after")


class UnknownKind(HeadcountError):
    """A change kind that does not exist."""

    exit_code = 2  # a wrong option value, as for any usage error

    def __init__(self, kind: str) -> None:
        super().__init__(f"unknown change kind `{kind}`: one of {', '.join(KINDS)}")


@dataclass(frozen=True)
class LinkChange:
    navigation: str
    target_type: str
    target_key: str
    line: int | None


@dataclass(frozen=True)
class ChangeRow:
    kind: str
    entity_type: str
    key: str
    navigation: str | None
    target_key: str | None
    data: str | None
    connection: str | None
    line: int | None
    # An inserted resource's links, written with it.
    links: list[LinkChange] = field(default_factory=list)


def change_data() -> sa.ColumnElement[str | None]:
    """The `data` of a change row, for a select of `changes` (`_DATA`): an insert's record read
    aside or from its resource when the row leaves it there."""
    kept = sa.select(inserted_records.c.data).where(
        inserted_records.c.change_id == changes.c.id).scalar_subquery()
    record = sa.select(resources.c.data).where(
        resources.c.entity_type == changes.c.entity_type,
        resources.c.key == changes.c.resource_key).scalar_subquery()
    return sa.func.coalesce(changes.c.data, kept, record)


def change_page(conn: sa.Connection, run_id: int, kind: str | None, limit: int, offset: int
                ) -> tuple[int, list[ChangeRow]]:
    """A page of the run's changes (of one kind, or all) and how many there are."""
    if kind is not None and kind not in KINDS:
        raise UnknownKind(kind)
    get_run(conn, run_id)  # NotFound for an unknown run
    params: dict[str, Any] = {"run": run_id, "kind": kind, "limit": limit, "offset": offset}
    if kind == "link_insert":
        return _link_inserts(conn, params)
    where = "run_id = :run" + (" AND kind = :kind" if kind else "")
    total = conn.execute(sa.text(f"SELECT count(*) FROM changes WHERE {where}"), params)
    rows = conn.execute(sa.text(f"SELECT {_FIELDS} FROM changes WHERE {where} ORDER BY id "
                                "LIMIT :limit OFFSET :offset"), params).all()
    return int(total.scalar_one()), [_row(r) for r in rows]


def _link_inserts(conn: sa.Connection, params: dict[str, Any]) -> tuple[int, list[ChangeRow]]:
    """Link inserts stored as rows, and those folded in insert rows, in the order written."""
    if is_sqlite(conn):
        folded_count = "coalesce(sum(json_array_length(after, '$.links')), 0)"
        unfold = ("changes c, json_each(c.after, '$.links') j", "j.key",
                  "json_extract(j.value, '$.{}')")
    else:
        folded_count = "coalesce(sum(json_array_length(after::json -> 'links')), 0)"
        unfold = ("changes c CROSS JOIN LATERAL json_array_elements(c.after::json -> 'links') "
                  "WITH ORDINALITY AS j(value, ord)", "j.ord", "(j.value ->> '{}')")
    source, position, member = unfold
    line = member.format("line") if is_sqlite(conn) else f"CAST({member.format('line')} AS INTEGER)"
    stored = conn.execute(sa.text(
        "SELECT count(*) FROM changes WHERE run_id = :run AND kind = 'link_insert'"), params)
    folded = conn.execute(sa.text(
        f"SELECT {folded_count} FROM changes WHERE run_id = :run AND kind = 'insert' "
        "AND after IS NOT NULL"), params)
    total = int(stored.scalar_one()) + int(folded.scalar_one() or 0)
    rows = conn.execute(sa.text(
        "SELECT kind, entity_type, resource_key, navigation, target_key, data, connection, "
        "line, NULL AS after FROM ("
        "SELECT id, 0 AS position, kind, entity_type, resource_key, navigation, target_key, "
        "data, connection, line FROM changes WHERE run_id = :run AND kind = 'link_insert' "
        "UNION ALL "
        f"SELECT c.id, {position} + 1, 'link_insert', c.entity_type, c.resource_key, "
        f"{member.format('navigation')}, {member.format('target_key')}, "
        f"'{{\"target_type\":\"' || {member.format('target_type')} || '\"}}', "
        f"c.connection, {line} FROM {source} "
        "WHERE c.run_id = :run AND c.kind = 'insert' AND c.after IS NOT NULL"
        ") AS listed ORDER BY id, position LIMIT :limit OFFSET :offset"), params).all()
    return total, [_row(r) for r in rows]


def _row(row: sa.Row[Any]) -> ChangeRow:
    kind, et, key, nav, tkey, data, cid, line, after = tuple(row)
    links = []
    if kind == "insert" and after:
        links = [LinkChange(link["navigation"], link["target_type"], link["target_key"],
                            link.get("line")) for link in json.loads(after)["links"]]
    return ChangeRow(kind, et, key, nav, tkey, data, cid, line, links)
