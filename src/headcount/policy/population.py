"""What a scoped evaluation must know of a whole population, read as columns in SQL rather
than as a Python object per resource (policy/scope.py): one property over every resource of a
type, the distinct inputs of an expression, the resources whose value a query asks for."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Set
from typing import Any

import polars as pl
import sqlalchemy as sa

from headcount.config.model import Project
from headcount.policy.graph import Graph
from headcount.repository import query_indexes
from headcount.repository.bulk import create_temp_table, drop_temp_table, insert_rows
from headcount.repository.database import is_sqlite


def json_column(conn: sa.Connection, prop: str, as_written: bool = False) -> str:
    """SQL for one property of resources.data as JSON (decoded by the caller, so that a
    boolean or a number comes back as the evaluation reads it from the whole resource).
    `as_written`: PostgreSQL's `json`, whose numbers come back as written (`1e20`), not
    `jsonb`, which writes them again (100000000000000000000)."""
    if is_sqlite(conn):
        return f"r.data -> '{query_indexes.json_path(prop)}'"
    kind = "json" if as_written else "jsonb"
    return f"(r.data::{kind}) -> '{prop.replace(chr(39), chr(39) * 2)}'"


def decoded_json(conn: sa.Connection, value: Any) -> Any:
    if is_sqlite(conn):
        return None if value is None else json.loads(value)
    return value


def fetch_rows(conn: sa.Connection, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    # SQLite: the scratch table first — it knows nothing of its size, and walked a million
    # owners probing a hundred keys (CROSS JOIN keeps the order as written).
    sql = sql.replace(" t JOIN ", " t CROSS JOIN ") if is_sqlite(conn) else \
        sql.replace("?", "%s")
    cursor = dbapi.cursor()
    try:
        cursor.execute(sql, tuple(params))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def column(conn: sa.Connection, entity_type: str, prop: str) -> list[tuple[str, Any]]:
    """(key, value) of one property over every resource of an entity type."""
    if not is_sqlite(conn):
        return [(k, v) for k, v in fetch_rows(
            conn, f"SELECT r.key, {json_column(conn, prop)} FROM resources r "
                  "WHERE r.entity_type = ?", [entity_type])]
    # The SQL value, and its JSON type for the few a Python value is not the same as (a
    # boolean, an object): decoding every value's JSON text cost more than the read.
    path = query_indexes.json_path(prop)
    out = []
    for key, value, kind in fetch_rows(
            conn, "SELECT r.key, json_extract(r.data, ?), json_type(r.data, ?) FROM resources r "
                  "WHERE r.entity_type = ?", [path, path, entity_type]):
        if kind in ("true", "false"):
            value = kind == "true"
        elif kind in ("object", "array"):
            value = json.loads(value)
        out.append((key, value))
    return out


def held_values(conn: sa.Connection, entity_type: str, prop: str) -> tuple[pl.Series, list[Any]]:
    """One property over every resource of an entity type: its text values as a column (a
    population's logins), and the few others (numbers, booleans) as Python values."""
    # One JSON walk per row, giving the value's JSON text: a string without an escape is its
    # text between the quotes, set-wise; anything else is decoded. (PostgreSQL: `json`, which
    # only checks the text, not `jsonb`, which builds it.)
    if is_sqlite(conn):
        path = query_indexes.json_path(prop)
        sql, params = "SELECT r.data -> ? FROM resources r WHERE r.entity_type = ?", [path]
    else:
        sql, params = "SELECT ((r.data::json) -> ?)::text FROM resources r " \
                      "WHERE r.entity_type = ?", [prop]
    found = pl.Series("j", [v for (v,) in fetch_rows(conn, sql, [*params, entity_type])
                            if v is not None and v != "null"], dtype=pl.String)
    plain = found.str.starts_with('"') & ~found.str.contains("\\", literal=True)
    decoded = [json.loads(v) for v in found.filter(~plain).to_list()]
    texts = pl.concat([found.filter(plain).str.strip_prefix('"').str.strip_suffix('"'),
                       pl.Series("j", [v for v in decoded if isinstance(v, str)],
                                 dtype=pl.String)])
    return texts, [v for v in decoded if v is not None and not isinstance(v, str)]


def held_folded(conn: sa.Connection, entity_type: str, prop: str, folded: Iterable[str]
                ) -> list[Any]:
    """The values of one property that resources of an entity type hold whose fold is one of
    `folded` (ASCII texts), and every value the index does not fold (`UNUSUAL` among
    `folded`: a text with other letters, a number), by the deployment's index on a unique
    rule's values (query_indexes.unique_index: the caller sees that it exists)."""
    text, table, of_type = _unique_index(conn, entity_type, prop)
    # (Numbers as written, as `held_values` reads them.)
    found = any_of(conn, f"SELECT {json_column(conn, prop, as_written=True)} FROM {table}",
                   text, sorted(set(folded)), of_type)
    return [v for v in (decoded_json(conn, v) for (v,) in found) if v is not None]


def held_numbered(conn: sa.Connection, entity_type: str, prop: str, names: Iterable[str]
                  ) -> list[str]:
    """The folds of the values of one property that resources of an entity type hold that are
    one of `names` followed by a digit (`jdupont2`, `jean.dupont12@…`; ASCII texts, as
    `held_folded` finds them): a range of the index each."""
    text, table, of_type = _unique_index(conn, entity_type, prop)
    out = []
    for name in sorted(set(names)):
        sql, params = numbered_range(text, name)
        # The folded text, which the index holds: SQLite reads it there, not from each row
        # (0.14 ms for the 386 `jmartin…` of 1,000,000 people, 5 ms reading the values). A
        # range holds ASCII texts only (the others are under UNUSUAL, ""), whose fold is all
        # a unique rule compares.
        out += [str(v) for (v,) in fetch_rows(
            conn, f"SELECT {text} FROM {table} WHERE {of_type} AND {sql}", params)]
    return out


def _unique_index(conn: sa.Connection, entity_type: str, prop: str) -> tuple[str, str, str]:
    """SQL for a read by the index on a unique rule's values: the expression it indexes, the
    table, and the condition of the partial index."""
    # SQLite's planner, knowing nothing of the sizes, preferred the walk of every resource of
    # the type to an IN over an expression's index: it is told.
    indexed = f" INDEXED BY {query_indexes.unique_index(entity_type, prop)}" \
        if is_sqlite(conn) else ""
    return (query_indexes.unique_text(conn.dialect.name, prop), f"resources r{indexed}",
            f"r.entity_type = {query_indexes.entity_type_literal(entity_type)}")


def numbered_range(column: str, name: str) -> tuple[str, list[str]]:
    """SQL (and its bound values) for the texts of `column` that are `name` followed by a
    digit: the range from `name0` to `name:` (':' follows '9'), which an index in code point
    order serves (SQLite's; PostgreSQL's in the C collation)."""
    return f"{column} >= ? AND {column} < ?", [name + "0", name + ":"]


# Values bound in one SQLite statement: far below its limit (32,766), and a plan per size.
_BOUND = 500


def any_of(conn: sa.Connection, select: str, column: str, values: list[Any], where: str = "",
           params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    """The rows of `select` (`SELECT … FROM table alias`, and `where` with its bound `params`)
    whose `column` is one of `values`, each found by an index on the column."""
    if not values:
        return []
    if not is_sqlite(conn):
        # No PostgreSQL text holds a NUL (nor may a bound value): none of those is found.
        values = [v for v in values if not (isinstance(v, str) and "\x00" in v)]
        if not values:
            return []
        # A join with the values as an array: each probes the index. `column = ANY(array)`
        # was planned, for a large array or once prepared (a generic plan), as a walk of the
        # whole index computing the expression of every row (1.2 s for 2,000 e-mails).
        return fetch_rows(conn, f"{select} JOIN unnest(?::text[]) AS hc_v(v) ON {column} = "
                                f"hc_v.v" + (f" WHERE {where}" if where else ""),
                          [values, *params])
    rows = []
    for at in range(0, len(values), _BOUND):
        chunk = values[at:at + _BOUND]
        rows += fetch_rows(conn, f"{select} WHERE {where + ' AND ' if where else ''}{column} "
                                 f"IN ({', '.join('?' for _ in chunk)})", [*params, *chunk])
    return rows


def keys_of(conn: sa.Connection, entity_type: str) -> set[str]:
    return {k for (k,) in fetch_rows(conn, "SELECT key FROM resources WHERE entity_type = ?",
                                     [entity_type])}


def binding_values(conn: sa.Connection, project: Project, entity_type: str, binding: str
                   ) -> dict[str, Any] | None:
    """key → the value a binding reaches from every resource of an entity type, as
    Graph.value gives it; None when the path is not one this reader follows (the caller then
    loads the resources)."""
    found = project.entity_type(entity_type)
    if found is None:
        return None
    et = found[1]
    parts = binding.split(".")
    if len(parts) == 1:
        prop = et.find_property(binding)
        if prop is not None and not prop.target:
            return dict(column(conn, entity_type, binding))
        return None
    head = et.find_property(parts[0])
    if head is None or not head.target:
        return None
    target = project.entity_type(head.target)
    if target is None:
        return None
    rest = binding_values(conn, project, target[1].identifier, ".".join(parts[1:]))
    if rest is None:
        return None
    # The first target by key, resolved, as Graph.value takes it.
    rows = fetch_rows(conn, "SELECT r.key, l.target_key FROM resources r JOIN links l ON "
                            "l.source_id = r.id AND l.navigation = ? WHERE r.entity_type = ? AND "
                            "l.target_id IS NOT NULL ORDER BY r.key, l.target_key",
                 [f"{entity_type}.{parts[0]}", entity_type])
    first: dict[str, str] = {}
    for key, tkey in rows:
        first.setdefault(key, tkey)
    return {k: rest.get(t) for k, t in first.items()}


def expression_values(conn: sa.Connection, project: Project, entity_type: str,
                      names: Iterable[str], run: Callable[[dict[str, Any]], Any]
                      ) -> list[Any] | None:
    """What an expression gives over every resource of a type, once per distinct input (a
    login prefix from the user type); None when a binding is not one read as a column."""
    names = list(names)
    combos = distinct_inputs(conn, project, entity_type, names)
    if combos is not None:
        return [run(dict(zip(names, combo, strict=True))) for combo in sorted(combos, key=repr)]
    columns = []
    for name in names:
        values = binding_values(conn, project, entity_type, name)
        if values is None:
            return None
        columns.append(values)
    keys = keys_of(conn, entity_type)
    inputs = {tuple(c.get(k) for c in columns) for k in keys}
    return [run(dict(zip(names, combo, strict=True))) for combo in sorted(inputs, key=repr)]


def _binding_sql(conn: sa.Connection, project: Project, entity_type: str, binding: str
                 ) -> str | None:
    """SQL for a binding's value (JSON) from a resource `r`: a property, or one link away (the
    first resolved target by key, as Graph.value takes it); None for what goes further."""
    found = project.entity_type(entity_type)
    if found is None:
        return None
    head, _, rest = binding.partition(".")
    prop = found[1].find_property(head)
    if prop is None or bool(prop.target) != bool(rest) or "." in rest:
        return None
    if not rest:
        return json_column(conn, head)
    target = project.entity_type(prop.target or "")
    end = target[1].find_property(rest) if target is not None else None
    if end is None or end.target:
        return None
    nav = f"{entity_type}.{head}".replace("'", "''")
    value = json_column(conn, rest).replace("r.data", "t.data")
    return (f"(SELECT {value} FROM links l JOIN resources t ON t.id = l.target_id "
            f"WHERE l.source_id = r.id AND l.navigation = '{nav}' ORDER BY l.target_key LIMIT 1)")


def distinct_inputs(conn: sa.Connection, project: Project, entity_type: str, names: list[str]
                    ) -> set[tuple[Any, ...]] | None:
    """The distinct combinations of these bindings' values over every resource of a type, in
    one statement (a few user types' prefixes, not a value per person); None when a binding
    is not one `_binding_sql` reads."""
    columns = [_binding_sql(conn, project, entity_type, n) for n in names]
    if not names or any(c is None for c in columns):
        return None
    rows = fetch_rows(conn, f"SELECT DISTINCT {', '.join(str(c) for c in columns)} "
                            "FROM resources r WHERE r.entity_type = ?", [entity_type])
    return {tuple(decoded_json(conn, v) for v in row) for row in rows}


def matches(graph: Graph, project: Project, entity_type: str, binding: str,
            wanted: Set[str]) -> list[tuple[str, Any]] | None:
    """(key, value) of the resources of a type whose binding's value is one of `wanted`
    (compared as text, as query rules match); None when the binding is not read as a column
    (the caller loads the resources instead)."""
    assert graph.conn is not None
    conn = graph.conn
    found = project.entity_type(entity_type)
    prop = found[1].find_property(binding) if found is not None else None
    if prop is None or prop.target or "." in binding:
        assert graph.loader is not None
        graph.loader.load_all(entity_type)
        return None
    if not wanted:
        return []
    create_temp_table(conn, "hc_scope_match", [("v", "TEXT")])
    insert_rows(conn, "hc_scope_match", ["v"], [(v,) for v in sorted(wanted)])
    # The text of the value narrows the rows in SQL, by the deployment's index on it
    # (repository/query_indexes.py); Python then compares exactly (a JSON number or boolean
    # is written otherwise by each).
    text = query_indexes.match_text(conn.dialect.name, binding)
    of_type = query_indexes.entity_type_literal(entity_type)
    rows = fetch_rows(conn, f"SELECT r.key, {json_column(conn, binding)} FROM hc_scope_match t "
                            f"JOIN resources r ON r.entity_type = {of_type} AND {text} = t.v")
    drop_temp_table(conn, "hc_scope_match")
    return [(k, v) for k, v in ((k, decoded_json(conn, v)) for k, v in rows)
            if v is not None and str(v) in wanted]
