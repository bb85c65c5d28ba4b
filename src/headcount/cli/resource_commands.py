"""Commands about resources: show."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import sqlalchemy as sa
import typer
from rich.markup import escape

from headcount.cli.root import command, console, open_project
from headcount.config.model import EntityType, Project
from headcount.config.validation import suggest
from headcount.display import changed_values, shown
from headcount.errors import NotFound
from headcount.repository import resources
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
        et = _entity_type(ctx.deployed()[1], entity_type)
        with ctx.engine.connect() as conn:
            if key is None:
                _list(conn, et, limit, as_json)
                return
            view = resources.get_resource(conn, et.identifier, key)
    finally:
        ctx.close()
    if as_json:
        _write_json(_resource_json(et, view))
    else:
        _print_resource(et, view)


def _entity_type(project: Project, identifier: str) -> EntityType:
    found = project.entity_type(identifier)
    if found is None:
        names = [et.identifier for c in project.connectors for et in c.entity_types]
        raise NotFound(f"no entity type `{identifier}`{suggest(identifier, names)}")
    return found[1]


def _list(conn: sa.Connection, et: EntityType, limit: int, as_json: bool) -> None:
    total = resources.count(conn, et.identifier)
    rows = resources.list_resources(conn, et.identifier, limit)
    if as_json:
        _write_json({"entity_type": et.identifier, "total": total, "resources": [
            {"key": k, "display_name": et.display(values), "values": values}
            for k, values in rows]})
        return
    console.print(f"[bold]{et.display_name or et.identifier}[/] "
                  f"({et.identifier}): {total:,} resources")
    for k, values in rows:
        console.print(f"  {escape(k)}  {escape(shown(et.display(values)))}")


def _print_resource(et: EntityType, view: ResourceView) -> None:
    # Values are data, not Rich markup: a title such as `[Lab]` is printed as it is.
    console.print(f"[bold]{et.identifier} {escape(view.key)}[/] — "
                  f"{escape(shown(et.display(view.values)))}")
    for p in et.scalar_properties:
        console.print(f"  {p.identifier}: {escape(shown(view.values.get(p.identifier)))}")
    for nav, targets in view.links.items():
        linked = ", ".join(f"{t} {escape(k)}" + ("" if i else " (pending)") for t, k, i in targets)
        console.print(f"  {nav} → {linked}")
    for nav, sources in view.reverse.items():
        console.print(f"  ← {nav}: " + ", ".join(escape(k) for _, k, _ in sources[:20])
                      + (f" … ({len(sources)})" if len(sources) > 20 else ""))
    console.print("[bold]history[/]")
    for h in view.history:
        where = h.source
        what = ", ".join(f"{p}: {text}" for p, text in changed_values(h.kind, h.data)) \
            if h.data else f"{h.navigation} {shown(h.target_key)}"
        console.print(f"  run {h.run_id} {h.kind}: {escape(what)}  [dim]{escape(where)}[/]")


def _resource_json(et: EntityType, view: ResourceView) -> dict[str, Any]:
    return {
        "entity_type": et.identifier, "key": view.key, "display_name": et.display(view.values),
        "values": {p.identifier: view.values.get(p.identifier) for p in et.scalar_properties},
        "links": {nav: [{"entity_type": t, "key": k, "pending": i is None}
                        for t, k, i in targets] for nav, targets in view.links.items()},
        "reverse": {nav: [{"entity_type": t, "key": k} for t, k, _ in sources]
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
