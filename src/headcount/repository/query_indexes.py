"""Indexes on the values query rules match (a Directory user's EmployeeId, which a person's
Manager query looks for), made from the deployed configuration: a scoped run — a date
evaluation, an incremental one — finds the few managers its sources ask for by lookup, not by
reading the data of every user (issue 14: 1.9 s of a nothing-due evaluation at 1,000,000).

Each is a partial index on one entity type's rows, so that the other types' writes (the HR
file's) pay nothing for it; the query must name the entity type as a literal and compare the
very expression `match_text` gives.

The values of `unique` rules (logins, e-mails) are indexed too, folded as `unique_text` gives
them: a scoped run asks whether the few values it issues are taken, and does not read every
login (issue 14: 0.9 s of a next day's policy at 100,000 people)."""

from __future__ import annotations

import hashlib
from typing import NamedTuple

import sqlalchemy as sa

from headcount.config.model import Project

PREFIX = "ix_query_"
# What `unique_text` gives a value it does not fold: all those are read, and folded in Python.
UNUSUAL = ""


class Indexed(NamedTuple):
    entity_type: str
    prop: str
    kind: str  # "match": a query rule's; "unique": a unique rule's


def _text(dialect: str, prop: str, column: str) -> str:
    if dialect == "sqlite":
        return f"CAST({column} ->> {_literal(json_path(prop))} AS TEXT)"
    return f"CAST(({column}::jsonb) ->> {_literal(prop)} AS TEXT)"


def json_path(prop: str) -> str:
    """SQLite's JSON path to a property."""
    return '$."' + prop.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def match_text(dialect: str, prop: str, column: str = "r.data") -> str:
    """SQL for a property's value as text, as a query rule compares it (None when absent)."""
    return _text(dialect, prop, column)


def unique_text(dialect: str, prop: str, column: str = "r.data") -> str:
    """SQL for a property's value as a unique rule compares it: an ASCII text lowercased (its
    case fold), and `UNUSUAL` for any other value — a text with other letters, whose fold
    only Python gives (`Straße` is `strasse`), a number, a boolean."""
    text = _text(dialect, prop, column)
    if dialect == "sqlite":
        kind = f"json_type({column}, {_literal(json_path(prop))})"
        return f"CASE WHEN {kind} <> 'text' OR length(CAST({text} AS BLOB)) <> length({text}) " \
               f"THEN {_literal(UNUSUAL)} ELSE lower({text}) END"
    # The C collation's lower() is ASCII's, whatever the database's locale (Turkish: I → ı).
    kind = f"jsonb_typeof(({column}::jsonb) -> {_literal(prop)})"
    return f"CASE WHEN {kind} <> 'string' OR octet_length({text}) <> length({text}) " \
           f"THEN {_literal(UNUSUAL)} ELSE lower({text} COLLATE \"C\") END"


def entity_type_literal(entity_type: str) -> str:
    """The entity type as the partial index's condition names it: a bound parameter would not
    tell the planner the index holds the rows."""
    return _literal(entity_type)


def _name(et: str, prop: str, kind: str) -> str:
    # (A query rule's index keeps the name it had before unique rules had theirs.) A unique
    # rule's is named after its expressions too: were they to change, the index a database
    # holds would no longer be found by its name (a run then reads every value) rather than
    # be asked as if it held the new ones, and the next deployment makes the new one.
    seed = f"{et}\0{prop}" if kind == "match" else \
        "\0".join([et, prop, kind, unique_text("sqlite", prop), unique_text("postgresql", prop)])
    return PREFIX + hashlib.sha256(seed.encode()).hexdigest()[:16]


def unique_index(entity_type: str, prop: str) -> str:
    """The name of the index on a unique rule's values."""
    return _name(entity_type, prop, "unique")


def wanted(project: Project) -> dict[str, Indexed]:
    """index name → what it indexes: the property every query rule of the configuration
    matches on the linked entity type, and the target property of every unique rule."""
    out = {}
    for rt in project.resource_types:
        found = project.entity_type(rt.target)
        if found is None:
            continue
        for rule in rt.scalars:
            prop = found[1].find_property(rule.target)
            if rule.unique and prop is not None and not prop.target:
                et = found[1].identifier
                out[_name(et, rule.target, "unique")] = Indexed(et, rule.target, "unique")
        for query in rt.queries:
            nav = found[1].find_property(query.target)
            linked = project.entity_type(nav.target) if nav is not None and nav.target else None
            prop = linked[1].find_property(query.match) if linked is not None else None
            if linked is None or prop is None or prop.target or "." in query.match:
                continue
            et = linked[1].identifier
            out[_name(et, query.match, "match")] = Indexed(et, query.match, "match")
    return out


def existing(conn: sa.Connection) -> set[str]:
    if conn.dialect.name == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'resources'"
    else:
        sql = "SELECT indexname FROM pg_indexes WHERE tablename = 'resources' " \
              "AND schemaname = current_schema()"
    return {str(name) for (name,) in conn.exec_driver_sql(sql) if str(name).startswith(PREFIX)}


def ensure(conn: sa.Connection, project: Project) -> None:
    """The configuration's query indexes, and no other."""
    want, have = wanted(project), existing(conn)
    for name in sorted(have - want.keys()):
        conn.exec_driver_sql(f"DROP INDEX {name}")
    for name, indexed in sorted(want.items()):
        if name not in have:
            create(conn, indexed)


def create(conn: sa.Connection, indexed: Indexed) -> None:
    et, prop, kind = indexed
    dialect = conn.dialect.name
    # (PostgreSQL takes an expression other than a call in parentheses.)
    text = match_text(dialect, prop, "data") if kind == "match" else \
        f"({unique_text(dialect, prop, 'data')})"
    conn.exec_driver_sql(f"CREATE INDEX {_name(et, prop, kind)} ON resources ({text}) "
                         f"WHERE entity_type = {entity_type_literal(et)}")
