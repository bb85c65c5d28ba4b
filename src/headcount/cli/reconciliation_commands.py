"""Commands about the Resource Reconciliation (SPEC §6.4): reconciliation list, reconciliation
decide."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from headcount.cli.root import Command, Group, app, console, handled, open_project
from headcount.display import shown
from headcount.repository import property_states
from headcount.repository.property_states import OPEN, STATES, Filters
from headcount.reviews.decisions import DECISIONS, decide

reconciliation_app = typer.Typer(
    cls=Group,
    help="The Resource Reconciliation: computed values changed by hand, held against HR until "
         "someone decides.", no_args_is_help=True)
app.add_typer(reconciliation_app, name="reconciliation")


def _shown(value: Any) -> str:
    return escape(shown(value))


def reconciliation_list(
        cli: typer.Context,
        state: Annotated[str, typer.Option(
            help="open (unreconciled and questioned) | all | " + " | ".join(STATES))] = "open",
        entity_type: Annotated[str | None, typer.Option(help="Only this entity type.")] = None,
        resource_type: Annotated[str | None, typer.Option(
            help="Only this resource type.")] = None,
        limit: int = 50, offset: int = 0) -> None:
    """List the values held against HR, oldest change first: resource, property, manual and
    proposed value, state, who changed it and why."""
    if state not in (*STATES, "open", "all"):
        raise typer.BadParameter("open, all or one of " + ", ".join(STATES),
                                 param_hint="--state")
    states = None if state == "all" else OPEN if state == "open" else (state,)
    ctx = open_project(cli)
    try:
        with ctx.engine.connect() as conn:
            total, page = property_states.search(
                conn, Filters(states, entity_type, resource_type), limit, offset)
    finally:
        ctx.close()
    console.print(f"[bold]{total:,}[/] value{'' if total == 1 else 's'} to reconcile "
                  f"({state})")
    table = Table(box=None, pad_edge=False)
    for name in ("id", "entity type", "key", "property", "manual value"):
        table.add_column(name, no_wrap=True)
    for name in ("proposed value", "state", "changed by", "reason", "expires"):
        table.add_column(name)
    for s in page:
        table.add_row(str(s.id), s.entity_type, escape(s.resource_key), s.property,
                      _shown(s.manual_value), _shown(s.proposed_value), s.state,
                      escape(f"{s.changed_by or ''} {s.changed_at:%Y-%m-%d %H:%M}"),
                      escape(s.reason or ""),
                      f"{s.expires_at:%Y-%m-%d %H:%M}" if s.expires_at else "")
    console.print(table)


def reconciliation_decide(
        cli: typer.Context,
        ids: Annotated[list[int], typer.Argument(help="The ids of the values (as listed).")],
        decision: Annotated[str, typer.Option(help=" | ".join(DECISIONS))],
        comment: Annotated[str, typer.Option(help="Why (recorded).")] = "") -> None:
    """Approve (write HR's proposed value), decline (keep the manual value, protected) or
    postpone these values, all or none; audited (actor `cli`)."""
    if decision not in DECISIONS:
        raise typer.BadParameter(", ".join(DECISIONS), param_hint="--decision")
    ctx = open_project(cli)
    try:
        result = decide(ctx.engine, ctx.deployed()[1], ids, decision, comment, "cli")
    finally:
        ctx.close()
    runs = "".join(f", run {r}" for r in result.run_ids)
    console.print(f"{len(result.decided)} value{'' if len(result.decided) == 1 else 's'} "
                  f"{decision}d{runs}")


reconciliation_app.command("list", cls=Command)(handled(reconciliation_list))
reconciliation_app.command("decide", cls=Command)(handled(reconciliation_decide))
