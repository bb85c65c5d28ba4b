"""Commands about resources: show."""

from __future__ import annotations

from typing import Annotated

import typer

from headcount.cli.root import command, console, open_project
from headcount.errors import NotFound
from headcount.repository import resources


@command
def show(cli: typer.Context, entity_type: str,
         key: Annotated[str | None, typer.Argument()] = None, limit: int = 20) -> None:
    """List the resources of an entity type, or show one with its links and history."""
    ctx = open_project(cli)
    try:
        found = ctx.deployed()[1].entity_type(entity_type)
        if found is None:
            raise NotFound(f"no entity type `{entity_type}`")
        et = found[1]
        with ctx.engine.connect() as conn:
            if key is None:
                total = resources.count(conn, et.identifier)
                console.print(f"[bold]{et.display_name or et.identifier}[/] "
                              f"({et.identifier}): {total:,} resources")
                for k, values in resources.list_resources(conn, et.identifier, limit):
                    console.print(f"  {k}  {et.display(values)}")
                return
            view = resources.get_resource(conn, et.identifier, key)
    finally:
        ctx.close()
    console.print(f"[bold]{et.identifier} {view.key}[/] — "
                  f"{et.display(view.values)}")
    for p in et.scalar_properties:
        console.print(f"  {p.identifier}: {view.values.get(p.identifier)}")
    for nav, targets in view.links.items():
        shown = ", ".join(f"{t} {k}" + ("" if i else " (pending)") for t, k, i in targets)
        console.print(f"  {nav} → {shown}")
    for nav, sources in view.reverse.items():
        console.print(f"  ← {nav}: " + ", ".join(f"{k}" for _, k, _ in sources[:20])
                      + (f" … ({len(sources)})" if len(sources) > 20 else ""))
    console.print("[bold]history[/]")
    for h in view.history:
        where = f"{h.file or h.connection} line {h.line}" if h.line else (h.file or "")
        what = h.data if h.data else f"{h.navigation} {h.target_key}"
        console.print(f"  run {h.run_id} {h.kind}: {what}  [dim]{where}[/]")
