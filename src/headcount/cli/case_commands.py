"""Commands about correlation cases (SPEC §6.1): cases list, cases decide."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from headcount.cli import exitcodes
from headcount.cli.root import Command, Group, app, console, handled, open_project
from headcount.jobs.decisions import decide
from headcount.policy import cases
from headcount.policy.comparison import source_names

cases_app = typer.Typer(cls=Group, help="Correlation cases: sources matched only below confidence "
                        "100, waiting for a person.", no_args_is_help=True)
app.add_typer(cases_app, name="cases")


def cases_list(cli: typer.Context,
               state: Annotated[str, typer.Option(help="open | resolved | all.")] = "open",
               limit: int = 50, offset: int = 0) -> None:
    """List correlation cases, oldest first: source, candidates, confidence, decision."""
    if state not in (*cases.STATES, "all"):
        raise typer.BadParameter("open, resolved or all", param_hint="--state")
    ctx = open_project(cli)
    try:
        project = ctx.deployed()[1]
        with ctx.engine.connect() as conn:
            total, page = cases.list_cases(conn, None if state == "all" else state, limit,
                                           offset)
            names = source_names(conn, project, page)
    finally:
        ctx.close()
    console.print(f"[bold]{total:,}[/] {'' if state == 'all' else state + ' '}correlation "
                  f"case{'' if total == 1 else 's'}")
    table = Table("case", "source", "resource type", "candidates", "confidence", "opened",
                  "decision", box=None, pad_edge=False)
    for c in page:
        decided = "" if c.decision is None else (
            f"link → {c.decided_target}" if c.decision == "link" else "new") + \
            f" by {c.decided_by}"
        table.add_row(str(c.id), escape(f"{c.source_key} {names.get(c.id, '')}".strip()),
                      c.resource_type, escape(", ".join(c.candidates)), str(c.confidence),
                      f"run {c.run_id}", escape(decided))
    console.print(table)


def cases_decide(cli: typer.Context, case_id: int,
                 link: Annotated[str | None, typer.Option(
                     help="Link the source to this candidate (its key).")] = None,
                 new: Annotated[bool, typer.Option(
                     "--new", help="Give the source a new target instead.")] = False,
                 comment: Annotated[str, typer.Option(help="Why (recorded).")] = "") -> None:
    """Decide an open case — --link KEY or --new — then evaluate the policy at once."""
    if (link is None) == (not new):
        raise typer.BadParameter("give either --link KEY or --new", param_hint="--link/--new")
    ctx = open_project(cli)
    try:
        outcome = decide(ctx, case_id, "link" if link is not None else "new", link, comment,
                         "cli")
    finally:
        ctx.close()
    console.print(f"correlation case {case_id} decided: {escape(outcome.message)}")
    if outcome.run is not None:
        raise typer.Exit(exitcodes.STATE_CODES.get(outcome.run.state, exitcodes.FAILED))


cases_app.command("list", cls=Command)(handled(cases_list))
cases_app.command("decide", cls=Command)(handled(cases_decide))
