"""Commands about workflows (SPEC §7.3): My Tasks from the terminal — tasks, task — and a
workflow started by hand."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
import typer
from rich.markup import escape
from rich.table import Table

from headcount.cli.root import Command, Group, app, console, handled, open_project
from headcount.errors import NotFound
from headcount.repository.users import User, find_user
from headcount.workflows.engine import decide_task
from headcount.workflows.forms import start_by_hand
from headcount.workflows.tasks import get_instance, get_task, inbox

AS = typer.Option("--as", help="The user acting (a name from `headcount user list`).")


def _user(conn: sa.Connection, name: str) -> User:
    found = find_user(conn, name)
    if found is None:
        raise NotFound(f"no user `{name}` (headcount user list)")
    return found


def tasks(cli: typer.Context, name: Annotated[str, AS],
          workflow: Annotated[str | None, typer.Option(help="Only this workflow.")] = None,
          subject: Annotated[str | None, typer.Option(help="Only about this key.")] = None,
          limit: int = 50, offset: int = 0) -> None:
    """The open tasks a user may act on, the longest waiting first (My Tasks)."""
    ctx = open_project(cli)
    try:
        project = ctx.deployed()[1]
        with ctx.engine.connect() as conn:
            user = _user(conn, name)
            total, page = inbox(conn, project, user, workflow, subject, limit, offset)
    finally:
        ctx.close()
    console.print(f"[bold]{total:,}[/] open task{'' if total == 1 else 's'} for {escape(name)}")
    table = Table("task", "workflow", "activity", "state", "subject", "since", "deadline",
                  "message", box=None, pad_edge=False)
    for t in page:
        table.add_row(str(t.id), t.workflow, t.activity, t.state,
                      escape(f"{t.entity_type} {t.subject_key or '—'}"),
                      t.opened_at.strftime("%Y-%m-%d %H:%M"),
                      t.deadline.strftime("%Y-%m-%d") if t.deadline else "—",
                      escape(t.message or "—"))
    console.print(table)


def task(cli: typer.Context, task_id: int,
         transition: Annotated[str | None, typer.Argument(
             help="approve, decline, execute, abort, refine or delegate — or a whole "
                  "transition id (Review-ReviewPending-Approve). None: show the task.")] = None,
         name: Annotated[str | None, AS] = None,
         comment: Annotated[str | None, typer.Option(
             help="Why (recorded; required to decline, abort or refine).")] = None,
         to: Annotated[str | None, typer.Option(help="Delegate to this user.")] = None) -> None:
    """Show a task with its change set, or decide it."""
    ctx = open_project(cli)
    try:
        project = ctx.deployed()[1]
        if transition is not None:
            if name is None:
                raise typer.BadParameter("who decides? --as NAME", param_hint="--as")
            with ctx.engine.connect() as conn:
                user = _user(conn, name)
            done = decide_task(ctx.engine, project, task_id, user, transition, comment, to)
            ran = f" — persisted by run {done.run_id}" if done.run_id else ""
            console.print(f"task {task_id}: {done.state}; workflow #{done.instance_id} "
                          f"{done.instance_state}{ran}")
            return
        with ctx.engine.connect() as conn:
            t = get_task(conn, project, task_id)
            story = get_instance(conn, project, t.instance_id)
    finally:
        ctx.close()
    console.print(f"[bold]task {t.id}[/] · {t.workflow} #{t.instance_id} · {t.activity} · "
                  f"{t.state}", highlight=False)
    console.print(f"  {escape(t.message or '')}", highlight=False)
    for change in story.changes.resources:
        console.print(f"  {change.kind} {change.entity_type} {escape(change.key)}",
                      highlight=False)
        for prop, (before, after) in change.values.items():
            console.print(f"    {prop}: {escape(str(before) if before is not None else '—')}"
                          f" → {escape(str(after) if after is not None else '—')}",
                          highlight=False)
        for nav, (before_keys, after_keys) in change.links.items():
            console.print(f"    {nav}: {escape(', '.join(before_keys) or '—')} → "
                          f"{escape(', '.join(after_keys) or '—')}", highlight=False)
    for d in story.decisions:
        console.print(f"  {d.at:%Y-%m-%d %H:%M} {d.transition} by {escape(d.actor)}"
                      + (f": {escape(d.comment)}" if d.comment else ""), highlight=False)
    if t.transitions:
        console.print("  transitions: " + ", ".join(t.transitions), highlight=False)


app.command("tasks", cls=Command)(handled(tasks))
app.command("task", cls=Command)(handled(task))


def workflow_start(cli: typer.Context, workflow: str,
                   key: Annotated[str | None, typer.Argument(
                       help="The subject's key; a key that does not exist, or none, creates "
                            "the subject (its key from --set).")] = None,
                   values: Annotated[list[str] | None, typer.Option(
                       "--set", help="PROPERTY=VALUE (repeat it); an empty VALUE empties the "
                                     "property; a navigation takes its targets' keys, "
                                     "separated by commas.")] = None,
                   name: Annotated[str | None, AS] = None,
                   message: Annotated[str | None, typer.Option(help="What it is about.")] = None,
                   create_anyway: Annotated[bool, typer.Option(
                       "--create-anyway", help="Create even when homonyms exist (they are "
                                               "listed otherwise, and nothing starts).")] = False
                   ) -> None:
    """Start a workflow by hand: an update of its subject's values, or a creation."""
    if name is None:
        raise typer.BadParameter("who starts it? --as NAME", param_hint="--as")
    wanted: dict[str, str | list[str] | None] = {}
    for pair in values or []:
        prop, sep, value = pair.partition("=")
        if not sep:
            raise typer.BadParameter(f"`{pair}` is not PROPERTY=VALUE", param_hint="--set")
        wanted[prop.strip()] = value or None
    ctx = open_project(cli)
    try:
        project = ctx.deployed()[1]
        with ctx.engine.connect() as conn:
            user = _user(conn, name)
        started = start_by_hand(ctx.engine, project, workflow, key, wanted, user, message,
                                create_anyway)
    finally:
        ctx.close()
    made = "creates" if started.kind == "insert" else "changes"
    console.print(f"workflow {workflow} #{started.instance_id} started: it {made} "
                  f"{escape(started.subject_key)} — headcount tasks --as NAME", highlight=False)


workflows_app = typer.Typer(cls=Group, help="Workflows: start one by hand.",
                            no_args_is_help=True)
app.add_typer(workflows_app, name="workflow")
workflows_app.command("start", cls=Command)(handled(workflow_start))

