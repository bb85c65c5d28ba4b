"""Commands about workflows (SPEC §7.3): My Tasks from the terminal — tasks, task —, deadlines
kept (tasks escalate), and a workflow started by hand. Notices a command writes are delivered
once it committed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import sqlalchemy as sa
import typer
from rich.markup import escape
from rich.table import Table

from headcount.cli.exitcodes import NOT_ALLOWED, REFUSED
from headcount.cli.root import Command, Group, app, console, err, handled, open_project
from headcount.config.model import Project
from headcount.display import shown
from headcount.errors import HeadcountError, NotFound
from headcount.project import ProjectContext
from headcount.repository.users import User, find_user
from headcount.web.api.tasks import Names, wanted_names
from headcount.workflows.bulk import decide_all, matching
from headcount.workflows.delivery import deliver
from headcount.workflows.engine import decide_task
from headcount.workflows.escalation import escalate_now
from headcount.workflows.forms import start_by_hand
from headcount.workflows.tasks import Instance, Task, get_instance, get_task, inbox

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
          subject: Annotated[str | None, typer.Option(
              help="Only about this subject: its key, or a part of its name.")] = None,
          older_than: Annotated[float | None, typer.Option(
              min=0, help="Only the tasks waiting for more than this many days.")] = None,
          limit: int = 50, offset: int = 0) -> None:
    """The open tasks a user may act on, the longest waiting first (My Tasks)."""
    if cli.invoked_subcommand is not None:
        return
    if name is None:
        raise typer.BadParameter("whose tasks? --as NAME", param_hint="--as")
    handled(_list_tasks)(cli, name, workflow, subject, older_than, limit, offset)


def _list_tasks(cli: typer.Context, name: str, workflow: str | None, subject: str | None,
                older_than: float | None, limit: int, offset: int) -> None:
    ctx = open_project(cli)
    try:
        project = ctx.deployed()[1]
        with ctx.engine.connect() as conn:
            user = _user(conn, name)
            total, page = inbox(conn, project, user, workflow, subject, limit, offset,
                                older_than)
            names = _names(conn, project, {(t.entity_type, t.subject_key) for t in page
                                           if t.subject_key})
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
                      escape(_named(names, t.entity_type, t.subject_key)),
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


def task(cli: typer.Context,
         words: Annotated[list[str], typer.Argument(
             metavar="ID [TRANSITION] | TRANSITION ID...",
             help="A task to show (ID), to decide (ID approve), or several tasks carrying "
                  "one change to decide at once (approve 12 13 14). A transition is approve, "
                  "decline, execute, abort, refine or delegate — or a whole id "
                  "(Review-ReviewPending-Approve).")],
         name: Annotated[str | None, AS] = None,
         comment: Annotated[str | None, typer.Option(
             help="Why (recorded; required to decline, abort or refine).")] = None,
         to: Annotated[str | None, typer.Option(help="Delegate to this user.")] = None,
         all_matching: Annotated[bool, typer.Option(
             "--all-matching", help="With TRANSITION ID: every open task of yours carrying "
                                    "that task's change.")] = False) -> None:
    """Show a task with its change set, or decide it — or several alike at once."""
    ids, transition = _task_words(words)
    ctx = open_project(cli)
    try:
        project = ctx.deployed()[1]
        if transition is not None:
            if name is None:
                raise typer.BadParameter("who decides? --as NAME", param_hint="--as")
            with ctx.engine.connect() as conn:
                user = _user(conn, name)
                if all_matching:
                    ids = matching(conn, project, user, ids[0])
            at = datetime.now(UTC)
            if len(ids) == 1 and not all_matching:
                done = decide_task(ctx.engine, project, ids[0], user, transition, comment, to,
                                   at)
                ran = f" — persisted by run {done.run_id}" if done.run_id else ""
                console.print(f"task {ids[0]}: {done.state}; workflow #{done.instance_id} "
                              f"{done.instance_state}{ran}")
                send_notices(ctx, project, at)
                return
            try:
                _decide_all(ctx.engine, project, ids, user, transition, comment)
            finally:
                send_notices(ctx, project, at)
            return
        if len(ids) != 1:
            raise typer.BadParameter("show one task at a time", param_hint="ID")
        with ctx.engine.connect() as conn:
            t = get_task(conn, project, ids[0])
            story = get_instance(conn, project, t.instance_id)
            names = _names(conn, project, wanted_names(project, story))
    finally:
        ctx.close()
    _show(t, story, names, project)


def _task_words(words: list[str]) -> tuple[list[int], str | None]:
    """`12`, `12 approve`, or `approve 12 13 14`: the task ids and the transition."""
    if not words:
        raise typer.BadParameter("which task?", param_hint="ID")
    if words[0].isdigit():
        if len(words) > 2:
            raise typer.BadParameter("several tasks are decided as TRANSITION ID ID…",
                                     param_hint="ID")
        return [int(words[0])], (words[1] if len(words) == 2 else None)
    bad = [w for w in words[1:] if not w.isdigit()]
    if bad or len(words) < 2:
        raise typer.BadParameter(f"`{' '.join(bad) or words[0]}`: give TRANSITION then task "
                                 "ids", param_hint="ID")
    return [int(w) for w in words[1:]], words[0]


def _decide_all(engine: sa.Engine, project: Project, ids: list[int], user: User,
                transition: str, comment: str | None) -> None:
    outcomes = decide_all(engine, project, ids, user, transition, comment)
    refused = [o for o in outcomes if o.decided is None]
    for o in outcomes:
        if o.decided is not None:
            console.print(f"task {o.task_id}: {o.decided.state}; workflow "
                          f"#{o.decided.instance_id} {o.decided.instance_state}",
                          highlight=False)
        else:
            console.print(f"task {o.task_id}: not decided — {escape(o.error or '')}",
                          highlight=False)
    console.print(f"{len(outcomes) - len(refused)} decided, {len(refused)} refused",
                  highlight=False)
    if refused:
        raise typer.Exit(NOT_ALLOWED if all(o.kind == "not_allowed" for o in refused)
                         else REFUSED)


def _names(conn: sa.Connection, project: Project, wanted: set[tuple[str, str]]
           ) -> dict[tuple[str, str], str]:
    return Names(conn, project, {(e, k) for e, k in wanted if k}).names


def _named(names: dict[tuple[str, str], str], entity_type: str, key: str | None) -> str:
    if key is None:
        return f"{entity_type} —"
    name = names.get((entity_type, key))
    if not name:
        return f"{entity_type} {key}"
    return name if key in name else f"{name} ({entity_type} {key})"


def _show(t: Task, story: Instance, names: dict[tuple[str, str], str], project: Project
          ) -> None:
    console.print(f"[bold]task {t.id}[/] · {t.workflow} #{t.instance_id} · {t.activity} · "
                  f"{t.state}", highlight=False)
    console.print(f"  {escape(t.message or '')}", highlight=False)
    for change in story.changes.resources:
        console.print(f"  {change.kind} "
                      f"{escape(_named(names, change.entity_type, change.key))}",
                      highlight=False)
        for prop, (before, after) in change.values.items():
            console.print(f"    {prop}: {escape(shown(before))} → {escape(shown(after))}",
                          highlight=False)
        found = project.entity_type(change.entity_type)
        for nav, (before_keys, after_keys) in change.links.items():
            nav_prop = found[1].find_property(nav) if found else None
            target = nav_prop.target if nav_prop and nav_prop.target else ""

            def listed(keys: list[str], target: str = target) -> str:
                return ", ".join(_named(names, target, k) for k in keys) or "—"

            console.print(f"    {nav}: {escape(listed(before_keys))} → "
                          f"{escape(listed(after_keys))}", highlight=False)
    for d in story.decisions:
        console.print(f"  {d.at:%Y-%m-%d %H:%M} {d.transition} by {escape(d.actor)}"
                      + (f": {escape(d.comment)}" if d.comment else ""), highlight=False)
    if t.transitions:
        console.print("  transitions: " + ", ".join(t.transitions), highlight=False)


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
        send_notices(ctx, project, datetime.now(UTC))
    finally:
        ctx.close()
    made = "creates" if started.kind == "insert" else "changes"
    console.print(f"workflow {workflow} #{started.instance_id} started: it {made} "
                  f"{escape(started.subject_key)} — headcount tasks --as NAME", highlight=False)


workflows_app = typer.Typer(cls=Group, help="Workflows: start one by hand.",
                            no_args_is_help=True)
app.add_typer(workflows_app, name="workflow")
workflows_app.command("start", cls=Command)(handled(workflow_start))

