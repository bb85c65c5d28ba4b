"""Indexes on the values query rules match (a Directory user's EmployeeId, which a person's
Manager query looks for), made from the deployed configuration: a scoped run — a date
evaluation, an incremental one — finds the few managers its sources ask for by lookup, not by
reading the data of every user (issue 14: 1.9 s of a nothing-due evaluation at 1,000,000).

Each is a partial index on one entity type's rows, so that the other types' writes (the HR
file's) pay nothing for it; the query must name the entity type as a literal and compare the
very expression `match_text` gives."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from headcount.config.model import Project

PREFIX = "ix_query_"


def json_path(prop: str) -> str:
    """SQLite's JSON path to a property."""
    return '$."' + prop.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def match_text(dialect: str, prop: str, column: str = "r.data") -> str:
    """SQL for a property's value as text, as a query rule compares it (None when absent)."""
    if dialect == "sqlite":
        return f"CAST({column} ->> {_literal(json_path(prop))} AS TEXT)"
    return f"CAST(({column}::jsonb) ->> {_literal(prop)} AS TEXT)"


def entity_type_literal(entity_type: str) -> str:
    """The entity type as the partial index's condition names it: a bound parameter would not
    tell the planner the index holds the rows."""
    return _literal(entity_type)


def wanted(project: Project) -> dict[str, tuple[str, str]]:
    """index name → (entity type, property) for every query rule of the configuration that
    matches a property of the linked entity type."""
    out = {}
    for rt in project.resource_types:
        found = project.entity_type(rt.target)
        if found is None:
            continue
        for query in rt.queries:
            nav = found[1].find_property(query.target)
            linked = project.entity_type(nav.target) if nav is not None and nav.target else None
            prop = linked[1].find_property(query.match) if linked is not None else None
            if linked is None or prop is None or prop.target or "." in query.match:
                continue
            et = linked[1].identifier
            digest = hashlib.sha256(f"{et}\0{query.match}".encode()).hexdigest()[:16]
            out[PREFIX + digest] = (et, query.match)
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
    dialect = conn.dialect.name
    for name, (et, prop) in sorted(want.items()):
        if name not in have:
            conn.exec_driver_sql(
                f"CREATE INDEX {name} ON resources ({match_text(dialect, prop, 'data')}) "
                f"WHERE entity_type = {entity_type_literal(et)}")
