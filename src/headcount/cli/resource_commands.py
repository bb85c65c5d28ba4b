"""Commands about resources: show."""

from __future__ import annotations

import json
import string
import sys
from typing import Annotated, Any

import sqlalchemy as sa
import typer
from rich.markup import escape
from rich.table import Table

from headcount.cli.root import command, console, open_project
from headcount.config.model import EntityType, Project, Property
from headcount.config.validation import suggest
from headcount.display import changed_values, shown
from headcount.errors import NotFound
from headcount.repository import resources
from headcount.repository.names import display_names_by_id
from headcount.repository.resources import ResourceView


@command
def show(cli: typer.Context, entity_type: str,
         key: Annotated[str | None, typer.Argument()] = None, limit: int = 20,
         as_json: Annotated[bool, typer.Option(
             "--json", help="Print JSON for scripts (values as stored: null when empty).")]
         = False) -> None:
    """List the resources of an entity type, or show one with its links and history."""
    ctx = open_project(cli)
    try:
        project = ctx.deployed()[1]
        et = _entity_type(project, entity_type)
        with ctx.engine.connect() as conn:
            if key is None:
                _list(conn, et, limit, as_json)
                return
            view = resources.get_resource(conn, et.identifier, key)
            # Every linked resource by name, in one lookup.
            names = display_names_by_id(conn, project, [
                *(tid for targets in view.links.values() for _, _, tid in targets if tid),
                *(sid for sources in view.reverse.values() for _, _, sid in sources)])
    finally:
        ctx.close()
    if as_json:
        _write_json(_resource_json(et, view, names))
    else:
        _print_resource(project, et, view, names)


def _entity_type(project: Project, identifier: str) -> EntityType:
    found = project.entity_type(identifier)
    if found is None:
        names = [et.identifier for c in project.connectors for et in c.entity_types]
        raise NotFound(f"no entity type `{identifier}`{suggest(identifier, names)}")
    return found[1]


def _name(et: EntityType, key: str, values: dict[str, Any]) -> str:
    return et.display(values).strip() or key


def _label(prop: Property) -> str:
    return prop.display_name or prop.identifier


def _list(conn: sa.Connection, et: EntityType, limit: int, as_json: bool) -> None:
    total = resources.count(conn, et.identifier)
    rows = resources.list_resources(conn, et.identifier, limit)
    if as_json:
        _write_json({"entity_type": et.identifier, "total": total, "resources": [
            {"key": k, "display_name": _name(et, k, values), "values": values}
            for k, values in rows]})
        return
    console.print(f"[bold]{escape(et.display_name or et.identifier)}[/] "
                  f"({et.identifier}): {total:,} resources")
    columns = _list_columns(et)
    # Headers are property display names; a cell is data, never Rich markup.
    table = Table("Key", "Name", *(escape(_label(p)) for p in columns), box=None,
                  pad_edge=False)
    for k, values in rows:
        table.add_row(escape(k), escape(_name(et, k, values)),
                      *(escape(shown(values.get(p.identifier))) for p in columns))
    console.print(table)


def _list_columns(et: EntityType) -> list[Property]:
    """The list page's columns (`list_columns`, else the first scalar properties), without the
    key and the properties the name is made of, which the first two columns show."""
    chosen = [p for name in et.list_columns if (p := et.find_property(name)) is not None] \
        if et.list_columns else et.scalar_properties[:6]
    in_name = {field for _, field, _, _ in string.Formatter().parse(
        et.resource_display_name or "") if field}
    return [p for p in chosen if p.identifier not in set(et.keys[:1]) | in_name]


def _print_resource(project: Project, et: EntityType, view: ResourceView,
                    names: dict[int, tuple[str, str, str]]) -> None:
    # Values are data, not Rich markup: a title such as `[Lab]` is printed as it is.
    console.print(f"[bold]{escape(_name(et, view.key, view.values))}[/] — "
                  f"{escape(et.display_name or et.identifier)} {escape(view.key)}")
    for p in et.scalar_properties:
        console.print(f"  {escape(_label(p))}: {escape(shown(view.values.get(p.identifier)))}")
    for p in et.properties:
        if p.is_navigation and p.identifier in view.links:
            linked = ", ".join(_named(names, i, k) + ("" if i else " (pending)")
                               for _, k, i in view.links[p.identifier])
            console.print(f"  {escape(_label(p))} → {linked}")
    for nav, sources in view.reverse.items():
        console.print(f"  ← {escape(_reverse_label(project, nav))}: "
                      + ", ".join(_named(names, i, k) for _, k, i in sources[:20])
                      + (f" … ({len(sources):,})" if len(sources) > 20 else ""))
    console.print("[bold]history[/]")
    for h in view.history:
        where = h.source
        what = ", ".join(f"{p}: {text}" for p, text in changed_values(h.kind, h.data)) \
            if h.data else f"{h.navigation} {shown(h.target_key)}"
        console.print(f"  run {h.run_id} {h.kind}: {escape(what)}  [dim]{escape(where)}[/]")


def _named(names: dict[int, tuple[str, str, str]], rid: int | None, key: str) -> str:
    """A resource as the terminal shows it: its name, its key beside (dim)."""
    name = names[rid][2] if rid is not None and rid in names else key
    return escape(key) if name == key else f"{escape(name)} [dim]{escape(key)}[/]"


def _reverse_label(project: Project, navigation: str) -> str:
    """`Subordinates (Person · Manager)` for `HR_Person.Manager`."""
    source_type, _, prop_name = navigation.partition(".")
    found = project.entity_type(source_type)
    prop = found[1].find_property(prop_name) if found else None
    if found is None or prop is None:
        return navigation
    return f"{prop.flip or navigation} ({found[1].display_name or source_type} · {_label(prop)})"


def _resource_json(et: EntityType, view: ResourceView,
                   names: dict[int, tuple[str, str, str]]) -> dict[str, Any]:
    def name(rid: int | None, key: str) -> str:
        return names[rid][2] if rid is not None and rid in names else key

    return {
        "entity_type": et.identifier, "key": view.key,
        "display_name": _name(et, view.key, view.values),
        "values": {p.identifier: view.values.get(p.identifier) for p in et.scalar_properties},
        "links": {nav: [{"entity_type": t, "key": k, "display_name": name(i, k),
                         "pending": i is None}
                        for t, k, i in targets] for nav, targets in view.links.items()},
        "reverse": {nav: [{"entity_type": t, "key": k, "display_name": name(i, k)}
                          for t, k, i in sources]
                    for nav, sources in view.reverse.items()},
        "history": [{"run": h.run_id, "at": h.at.isoformat() if h.at else None,
                     "kind": h.kind, "data": json.loads(h.data) if h.data else None,
                     "navigation": h.navigation, "target_key": h.target_key,
                     "file": h.file, "connection": h.connection, "line": h.line}
                    for h in view.history],
    }


def _write_json(document: dict[str, Any]) -> None:
    # Not through Rich: it would wrap long lines at the console width and break the JSON.
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")
