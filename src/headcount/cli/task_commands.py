"""Commands about workflows (SPEC §7.3): My Tasks from the terminal — tasks, task —, deadlines
kept (tasks escalate), and a workflow started by hand. Notices a command writes are delivered
once it committed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import sqlalchemy as sa
import typer
from rich.markup import escape
from rich.table import Table

from headcount.cli.root import Command, Group, app, console, err, handled, open_project
from headcount.config.model import Project
from headcount.errors import HeadcountError, NotFound
from headcount.project import ProjectContext
from headcount.repository.database import begin_write
from headcount.repository.locks import connector_lock
from headcount.repository.users import User, find_user
from headcount.workflows.changes import ResourceChange, WorkflowChanges, current
from headcount.workflows.delivery import deliver
from headcount.workflows.engine import decide_task, start
from headcount.workflows.escalation import escalate_now
from headcount.workflows.tasks import get_instance, get_task, inbox

AS = typer.Option("--as", help="The user acting (a name from `headcount user list`).")


def _user(conn: sa.Connection, name: str) -> User:
    found = find_user(conn, name)
    if found is None:
        raise NotFound(f"no user `{name}` (headcount user list)")
    return found


def send_notices(ctx: ProjectContext, project: Project, now: datetime) -> None:
    """Deliver what the command wrote to the outbox; a failure is told, and kept for later."""
    try:
        done = deliver(ctx.engine, project, now, folder=ctx.directory)
    except HeadcountError as exc:
        err.print(f"[yellow]notices not sent:[/] {escape(str(exc))}")
        return
    if done.sent:
        console.print(f"{done.sent} notice{'' if done.sent == 1 else 's'} sent")
    if done.failed:
        err.print(f"[yellow]{done.failed} notice(s) kept for the next delivery:[/] "
                  f"{escape('; '.join(done.errors))}")


tasks_app = typer.Typer(cls=Group, invoke_without_command=True,
                        help="My Tasks (with --as NAME); `tasks escalate` keeps deadlines.")
app.add_typer(tasks_app, name="tasks")


@tasks_app.callback()
def tasks(cli: typer.Context, name: Annotated[str | None, AS] = None,
          workflow: Annotated[str | None, typer.Option(help="Only this workflow.")] = None,
          subject: Annotated[str | None, typer.Option(help="Only about this key.")] = None,
          limit: int = 50, offset: int = 0) -> None:
    """The open tasks a user may act on, the longest waiting first (My Tasks)."""
    if cli.invoked_subcommand is not None:
        return
    if name is None:
        raise typer.BadParameter("whose tasks? --as NAME", param_hint="--as")
    handled(_list_tasks)(cli, name, workflow, subject, limit, offset)


def _list_tasks(cli: typer.Context, name: str, workflow: str | None, subject: str | None,
                limit: int, offset: int) -> None:
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
        late = [*(["overdue"] if t.overdue else []),
                *([f"level {t.escalation}"] if t.escalation else []),
                *(["fallback"] if t.fallback else [])]
        table.add_row(str(t.id), t.workflow, t.activity, t.state,
                      escape(f"{t.entity_type} {t.subject_key or '—'}"),
                      t.opened_at.strftime("%Y-%m-%d %H:%M"),
                      (t.deadline.strftime("%Y-%m-%d") if t.deadline else "—")
                      + (f" [red]{', '.join(late)}[/]" if late else ""),
                      escape(t.message or "—"))
    console.print(table)


def tasks_escalate(cli: typer.Context,
                   now: Annotated[str | None, typer.Option(
                       help="The instant to act at (ISO 8601, with its offset); default: "
                            "now.")] = None) -> None:
    """Send the reminders, escalations and fallbacks due now, then the pending notices (run it
    from cron or a scheduler; twice at one instant does what once does)."""
    at = _instant(now)
    ctx = open_project(cli)
    try:
        project = ctx.deployed()[1]
        done = escalate_now(ctx.engine, project, at)
        console.print(f"{len(done.reminded)} reminded, {len(done.escalated)} escalation(s), "
                      f"{len(done.fallback)} sent to the fallback, {len(done.overdue)} overdue")
        for task_id, level in done.escalated:
            console.print(f"  task {task_id}: escalation level {level}")
        for task_id in done.fallback:
            console.print(f"  task {task_id}: nobody could act on it, sent to the fallback")
        send_notices(ctx, project, at)
    finally:
        ctx.close()


tasks_app.command("escalate", cls=Command)(handled(tasks_escalate))


def _instant(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"`{text}` is no ISO 8601 instant", param_hint="--now") from None
    if at.tzinfo is None:
        raise typer.BadParameter(f"`{text}` has no offset (add Z or +02:00)",
                                 param_hint="--now")
    return at


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
            at = datetime.now(UTC)
            done = decide_task(ctx.engine, project, task_id, user, transition, comment, to, at)
            ran = f" — persisted by run {done.run_id}" if done.run_id else ""
            console.print(f"task {task_id}: {done.state}; workflow #{done.instance_id} "
                          f"{done.instance_state}{ran}")
            send_notices(ctx, project, at)
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


app.command("task", cls=Command)(handled(task))


def workflow_start(cli: typer.Context, workflow: str,
                   key: Annotated[str, typer.Argument(help="The subject's key.")],
                   values: Annotated[list[str], typer.Option(
                       "--set", help="PROPERTY=VALUE to change (repeat it); an empty VALUE "
                                     "empties the property.")],
                   name: Annotated[str, AS],
                   message: Annotated[str | None, typer.Option(help="What it is about.")] = None
                   ) -> None:
    """Start a workflow by hand that changes values of one resource, its subject."""
    ctx = open_project(cli)
    try:
        project = ctx.deployed()[1]
        wf = project.workflow(workflow)
        if wf is None:
            raise NotFound(f"no workflow `{workflow}`")
        wanted: dict[str, str | None] = {}
        for pair in values:
            prop, sep, value = pair.partition("=")
            if not sep:
                raise typer.BadParameter(f"`{pair}` is not PROPERTY=VALUE", param_hint="--set")
            wanted[prop.strip()] = value or None
        subject = project.entity_type(wf.entity_type)
        assert subject is not None
        at = datetime.now(UTC)
        # A workflow whose first activity persists writes at once: the connector's lock first.
        with connector_lock(ctx.engine, subject[0].identifier), begin_write(ctx.engine) as conn:
            user = _user(conn, name)
            found = current(conn, wf.entity_type, key)
            if found is None:
                raise NotFound(f"no {wf.entity_type} with key `{key}`")
            typed = {p: _typed(project, wf.entity_type, p, v) for p, v in wanted.items()}
            change = ResourceChange(wf.entity_type, key, "update",
                                    {p: (found[1].get(p), v) for p, v in typed.items()})
            instance = start(conn, project, wf.identifier, WorkflowChanges([change]),
                             actor=user.name, message=message, now=at)
        send_notices(ctx, project, at)
    finally:
        ctx.close()
    console.print(f"workflow {wf.identifier} #{instance} started: headcount tasks --as NAME")


workflows_app = typer.Typer(cls=Group, help="Workflows: start one by hand.",
                            no_args_is_help=True)
app.add_typer(workflows_app, name="workflow")
workflows_app.command("start", cls=Command)(handled(workflow_start))


def _typed(project: Project, entity_type: str, prop: str, text: str | None) -> object:
    """A value given on the command line, as the repository holds its property's type."""
    found = project.entity_type(entity_type)
    assert found is not None
    definition = found[1].find_property(prop)
    if text is None or definition is None or definition.is_navigation:
        return text  # the change set's check names an unknown property or a navigation
    kind = definition.type.value
    try:
        if kind == "int":
            return int(text)
        if kind == "bool":
            return {"true": True, "false": False}[text.lower()]
        if kind == "date":
            return date.fromisoformat(text).isoformat()
    except (ValueError, KeyError):
        raise typer.BadParameter(f"`{text}` is not a {kind} for {prop}",
                                 param_hint="--set") from None
    return text
