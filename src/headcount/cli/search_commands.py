"""`headcount search`: the one search of the top bar (issue 12) from the command line."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.markup import escape

from headcount.cli.root import command, console, open_project
from headcount.repository.search import search as find


@command
def search(cli: typer.Context, query: Annotated[str, typer.Argument(
               help="Words that start a name, a key or an e-mail address, in any order.")],
           entity_type: Annotated[str | None, typer.Option(
               "--type", help="Only this entity type.")] = None,
           limit: Annotated[int, typer.Option(min=1, help="Results per entity type.")] = 10,
           as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
           = False) -> None:
    """Find resources of every entity type by name, key or e-mail: accents and case ignored."""
    ctx = open_project(cli)
    try:
        project = ctx.deployed()[1]
        with ctx.engine.connect() as conn:
            groups = find(conn, project, query, limit, entity_type)
    finally:
        ctx.close()
    if as_json:
        json.dump({"query": query, "groups": [
            {"entity_type": g.entity_type, "label": g.label, "total": g.total,
             "items": [{"key": h.key, "display_name": h.name} for h in g.hits]}
            for g in groups]}, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    if not groups:
        console.print(f"nothing found for “{escape(query)}”")
        return
    for group in groups:
        shown = f"first {len(group.hits):,} of " if len(group.hits) < group.total else ""
        console.print(f"[bold]{escape(group.label)}[/] ({group.entity_type}): "
                      f"{shown}{group.total:,}")
        for hit in group.hits:
            key = "" if hit.name == hit.key else f"  [dim]{escape(hit.key)}[/]"
            console.print(f"  {escape(hit.name)}{key}")
