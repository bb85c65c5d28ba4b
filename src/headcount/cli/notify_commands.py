"""`headcount notify-stale`: the stale sources announced from cron (issue 13), as the scheduler
does it; once per stale spell, so running it every few minutes repeats nothing."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from headcount.cli.root import Command, app, console, err, handled, open_project
from headcount.cli.task_commands import _instant
from headcount.jobs.events import announce_stale


def notify_stale(cli: typer.Context,
                 now: Annotated[str | None, typer.Option(
                     help="The instant to judge at (ISO 8601, with its offset); default: "
                          "now.")] = None) -> None:
    """Announce the connectors whose source files are stale (docs/notifications.md, "Job
    events"), each once per stale spell, then deliver the pending notices."""
    at = _instant(now)
    ctx = open_project(cli)
    try:
        project = ctx.deployed()[1]
        done = announce_stale(ctx.engine, project, at, folder=ctx.directory)
    finally:
        ctx.close()
    for name in done.connectors:
        console.print(f"{escape(name)}: stale, announced")
    for name in done.already:
        console.print(f"{escape(name)}: stale, announced before")
    if not done.connectors and not done.already:
        console.print("no stale source")
    if done.delivered is not None and done.delivered.errors:
        err.print(f"[yellow]notices kept for the next delivery:[/] "
                  f"{escape('; '.join(done.delivered.errors))}")


app.command("notify-stale", cls=Command)(handled(notify_stale))
