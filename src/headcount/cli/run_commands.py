"""Commands about runs: sync, evaluate, jobs, job, resume, cancel, rejects."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from headcount.cli import exitcodes
from headcount.cli.progress import RichProgress
from headcount.cli.render import job_result, runs_table, unresolved_list, workflow_list
from headcount.cli.root import command, console, err, open_project
from headcount.errors import NotFound
from headcount.jobs.blocked import cancel as cancel_run
from headcount.jobs.blocked import previewed_total
from headcount.jobs.blocked import resume as resume_run
from headcount.jobs.evaluation import evaluate_policy
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import runs
from headcount.repository.changelist import KINDS, UnknownKind, change_page
from headcount.repository.names import display_names
from headcount.repository.references import pending_page
from headcount.repository.rejects import write_rejects
from headcount.workflows import history

SHOWN_LOG_LINES = 40


@command
def sync(
    cli: typer.Context,
    connector: Annotated[str, typer.Argument(help="Connector identifier, e.g. HR.")],
    mode: Annotated[str | None, typer.Option(
        help="initial | complete | incremental (default: complete; initial on an empty "
             "connector).")] = None,
    dry_run: Annotated[bool, typer.Option(help="Compute and list the changes; apply none.")]
        = False,
    force: Annotated[bool, typer.Option(
        help="Override thresholds and file-shape guards for this run (needs --reason).")]
        = False,
    reason: Annotated[str | None, typer.Option(help="Why --force is used (recorded).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
    at: Annotated[str | None, typer.Option(
        help="The instant the policy evaluates dates at, ISO 8601 (default: now).")] = None,
) -> None:
    """Synchronize a connector: export → prepare → synchronize, then print the job result."""
    instant = _instant(at)
    ctx = open_project(cli)
    try:
        _warn_undeployed(ctx)
        progress = RichProgress(err) if not quiet and err.is_terminal else None
        with progress or nullcontext():
            run = synchronize(ctx, SyncRequest(connector, mode, dry_run, force, reason,
                                               now=instant), progress)
        with ctx.engine.connect() as conn:
            logs = [entry for entry in runs.logs(conn, run.id)
                    if entry[1] != "info" or run.state != runs.SUCCEEDED]
    finally:
        ctx.close()
    job_result(console, run, logs[:SHOWN_LOG_LINES])
    if len(logs) > SHOWN_LOG_LINES:
        console.print(f"  … {len(logs) - SHOWN_LOG_LINES} more log lines: "
                      f"headcount job {run.id}")
    if run.state == runs.BLOCKED:
        console.print(f"staged changes: headcount job {run.id} --changes · apply them: "
                      f"headcount resume {run.id} --reason … · drop them: headcount cancel "
                      f"{run.id}")
    raise typer.Exit(exitcodes.STATE_CODES.get(run.state, exitcodes.FAILED))


SHOWN_CHANGES = 5


def _warn_undeployed(ctx: ProjectContext) -> None:
    """A run uses the deployed configuration: say so when the files on disk say otherwise,
    before someone reads the result as that of the configuration they just edited."""
    changes = ctx.undeployed_changes()
    if not changes:
        return
    err.print("[yellow]warning:[/] the configuration on disk differs from the deployed one, "
              "which this run uses (`headcount reload` deploys it):")
    for line in changes[:SHOWN_CHANGES]:
        err.print(f"  {line}")
    if len(changes) > SHOWN_CHANGES:
        err.print(f"  … {len(changes) - SHOWN_CHANGES} more")


def _instant(at: str | None) -> datetime | None:
    if at is None:
        return None
    try:
        instant = datetime.fromisoformat(at)
    except ValueError:
        err.print(f"--at: `{at}` is not an ISO 8601 date or instant (2026-11-26T15:00:00Z)")
        raise typer.Exit(exitcodes.FAILED) from None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


@command
def evaluate(
    cli: typer.Context,
    connector: Annotated[str, typer.Argument(help="Connector whose resource types are "
                                                  "evaluated, e.g. HR.")],
    at: Annotated[str | None, typer.Option(
        help="The instant to evaluate at, ISO 8601; without a zone, UTC (default: now).")]
        = None,
) -> None:
    """Evaluate the policy of a connector's resource types again, without a new file: joiners
    become active and leavers left on their dates (in their site's time zone), dated records
    take over, overrides expire, targets past their retention are deleted. Run it daily."""
    instant = _instant(at)
    ctx = open_project(cli)
    try:
        run = evaluate_policy(ctx, connector, now=instant)
        with ctx.engine.connect() as conn:
            logs = runs.logs(conn, run.id)
    finally:
        ctx.close()
    job_result(console, run, logs[:SHOWN_LOG_LINES])
    raise typer.Exit(exitcodes.STATE_CODES.get(run.state, exitcodes.FAILED))


@command
def jobs(cli: typer.Context,
         connector: Annotated[str | None, typer.Option(help="Only this connector.")] = None,
         limit: int = 30) -> None:
    """List the runs, newest first (the Job Execution list)."""
    ctx = open_project(cli)
    try:
        if connector is not None:
            found = ctx.deployed()[1].connector(connector)
            if found is None:
                raise NotFound(f"no connector `{connector}`")
            connector = found.identifier
        with ctx.engine.connect() as conn:
            runs_table(console, runs.list_runs(conn, connector, limit))
    finally:
        ctx.close()


@command
def job(cli: typer.Context, run_id: int,
        show_changes: Annotated[bool, typer.Option("--changes", help="List the changes.")]
        = False,
        kind: Annotated[str | None, typer.Option(
            help="Only changes of this kind: " + ", ".join(KINDS) + ".")] = None,
        show_unresolved: Annotated[bool, typer.Option(
            "--unresolved", help="List every reference the run left pending, with why.")]
        = False,
        show_workflows: Annotated[bool, typer.Option(
            "--workflows", help="List the workflows the run started (or, a dry run or a "
                                "blocked run, would start).")] = False,
        limit: int = 200, offset: int = 0) -> None:
    """Show a job result: counters, timings, files, log, and (with --changes) the changes,
    (with --unresolved) the pending references or (with --workflows) the workflows, paged by
    --limit and --offset."""
    if kind is not None and kind not in KINDS:
        raise UnknownKind(kind)  # before opening the project: a usage error, exit code 2
    ctx = open_project(cli)
    try:
        with ctx.engine.connect() as conn:
            run = runs.get_run(conn, run_id)
            rows = None
            if show_changes or kind:
                rows = change_page(conn, run_id, kind, limit, offset)[1]
            names = display_names(conn, ctx.deployed()[1],
                                  [(r.entity_type, r.key) for r in rows or []])
            job_result(console, run, runs.logs(conn, run_id), rows, names)
            if show_unresolved:
                total, refs = pending_page(conn, run_id, limit, offset)
                unresolved_list(console, run, total, refs, offset)
            if show_workflows:
                total, started = history.of_run(conn, run_id, limit, offset)
                workflow_list(console, run, total, started, offset)
    finally:
        ctx.close()


@command
def resume(cli: typer.Context, run_id: int,
           reason: Annotated[str, typer.Option(help="Why (recorded).")],
           expect_orders: Annotated[int | None, typer.Option(
               help="The number of provisioning orders the preview shows (`headcount job "
                    "RUN`): the resume applies only if it gives exactly those; asked for at "
                    "the terminal when not given.")] = None) -> None:
    """Apply exactly the staged changes of a blocked run, and the orders its preview shows."""
    ctx = open_project(cli)
    try:
        preview: str | None = None
        if expect_orders is None and sys.stdin.isatty():
            expect_orders, preview = _confirm_preview(ctx, run_id)
        run = resume_run(ctx, run_id, reason, expected_orders=expect_orders,
                         expected_preview=preview)
    finally:
        ctx.close()
    job_result(console, run)


def _confirm_preview(ctx: ProjectContext, run_id: int) -> tuple[int | None, str | None]:
    """Show the staged changes and the orders of the preview, and ask to confirm them: the
    count, and the preview's fingerprint (exactly what was shown)."""
    with ctx.engine.connect() as conn:
        run = runs.get_run(conn, run_id)
    job_result(console, run)
    total = previewed_total(run)
    if not total:
        return None, None
    if not typer.confirm(f"Resume run {run_id}: apply its staged changes and {total:,} "
                         "provisioning orders?"):
        raise typer.Exit(exitcodes.REFUSED)
    return total, run.counters.get("preview")


@command
def cancel(cli: typer.Context, run_id: int,
           reason: Annotated[str | None, typer.Option(help="Why (recorded).")] = None) -> None:
    """Drop the staged changes of a blocked run."""
    ctx = open_project(cli)
    try:
        run = cancel_run(ctx, run_id, reason)
    finally:
        ctx.close()
    job_result(console, run)


@command
def rejects(cli: typer.Context, run_id: int, output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to this file instead of the standard output.")] = None
            ) -> None:
    """The rows a run set aside, as CSV with their line numbers and reasons."""
    ctx = open_project(cli)
    try:
        with ctx.engine.connect() as conn, output.open(
                "w", encoding="utf-8", newline="") if output else nullcontext(
                    sys.stdout) as handle:
            write_rejects(conn, run_id, handle)
    finally:
        ctx.close()
