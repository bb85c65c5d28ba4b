"""Commands about jobs (docs/jobs.md): `worker` carries out queued and scheduled job runs,
`launch` queues one, `schedule` and `job-runs` show them, `connector activate|deactivate`."""

from __future__ import annotations

import signal
import threading
import time
from datetime import UTC, datetime
from types import FrameType
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from headcount.cli import exitcodes
from headcount.cli.root import (
    Command,
    Group,
    app,
    command,
    console,
    err,
    handled,
    open_project,
)
from headcount.cli.user_commands import cli_actor
from headcount.config.jobs import job_connectors
from headcount.errors import NotFound, RunRefused
from headcount.repository import jobruns, runs
from headcount.repository.database import begin_write
from headcount.repository.jobruns import JobRun
from headcount.scheduling import EVALUATE, LAUNCH, SYNCHRONIZE, JobRequest, cron, submit
from headcount.scheduling.worker import Worker


def _moment(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if at is not None else "—"


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)


@command
def worker(cli: typer.Context,
           once: Annotated[bool, typer.Option(
               "--once", help="Tick the scheduler once, carry out what is due, then stop.")]
           = False,
           concurrency: Annotated[int | None, typer.Option(
               min=1, max=64, help="Job runs of different connectors carried out at once "
               "(default: HEADCOUNT_WORKER_CONCURRENCY on PostgreSQL, else 2).")]
           = None) -> None:
    """Carry out queued and scheduled job runs, one run per connector at a time, until stopped
    (Ctrl-C, SIGTERM)."""
    ctx = open_project(cli)
    stop = threading.Event()
    _stop_on_signals(stop)
    try:
        if not once:
            console.print(f"worker for {ctx.directory}: waiting for job runs (Ctrl-C stops)")
        Worker(ctx, concurrency=concurrency).run(stop, once=once)
    finally:
        ctx.close()


@command
def launch(cli: typer.Context, connector: str,
           job: Annotated[str | None, typer.Option(
               help="Run this configured job's tasks, mode and retry policy.")] = None,
           mode: Annotated[str | None, typer.Option(
               help="initial, complete or incremental (default: the job's, or the engine "
                    "chooses).")] = None,
           evaluate: Annotated[bool, typer.Option(
               "--evaluate", help="The date evaluation instead of a synchronization.")]
           = False,
           wait: Annotated[bool, typer.Option(
               "--wait", help="Wait until a worker has carried it out; exit with its "
                              "outcome.")] = False) -> None:
    """Queue a job run of a connector for the workers (`headcount sync` runs one here and
    now instead)."""
    ctx = open_project(cli)
    try:
        project = ctx.deployed()[1]
        found = project.connector(connector)
        if found is None:
            names = ", ".join(c.identifier for c in project.connectors)
            raise NotFound(f"no connector `{connector}` (deployed: {names})")
        tasks: tuple[str, ...] = (EVALUATE,) if evaluate else (SYNCHRONIZE,)
        if job is not None:
            configured = project.job(job)
            if configured is None:
                names = ", ".join(j.identifier for j in project.jobs) or "none"
                raise NotFound(f"no job `{job}` (deployed: {names})")
            job, tasks = configured.identifier, tuple(configured.tasks)
            mode = mode or configured.mode
        if mode is not None and mode not in ("initial", "complete", "incremental"):
            raise RunRefused(f"unknown mode `{mode}`: one of initial, complete, incremental")
        job_run_id = submit(ctx, JobRequest(found.identifier, tasks, mode, job, LAUNCH,
                                            cli_actor()))
        with begin_write(ctx.engine) as conn:
            runs.audit(conn, cli_actor(), "launch",
                          f"job run {job_run_id} of {found.identifier}", None)
        console.print(f"job run {job_run_id} queued for {found.identifier}")
        if not wait:
            return
        while True:
            current = jobruns.get_one(ctx.engine, job_run_id)
            assert current is not None
            if current.state not in jobruns.OPEN or current.state == jobruns.WAITING:
                break
            time.sleep(0.2)
    finally:
        ctx.close()
    console.print(_outcome(current))
    if current.state in (jobruns.FAILED, jobruns.INTERRUPTED):
        raise typer.Exit(exitcodes.FAILED)
    if current.state in (jobruns.BLOCKED, jobruns.SKIPPED, jobruns.CANCELLED):
        raise typer.Exit(exitcodes.REFUSED)


def _outcome(job_run: JobRun) -> str:
    made = ", ".join(f"run {r}" for r in job_run.run_ids) or "no run"
    said = f": {escape(job_run.message)}" if job_run.message else ""
    return f"job run {job_run.id} {job_run.state} ({made}){said}"


@command
def schedule(cli: typer.Context) -> None:
    """Each configured job: its schedule, connectors, last and next run."""
    ctx = open_project(cli)
    try:
        project = ctx.deployed()[1]
        with ctx.engine.connect() as conn:
            last = jobruns.last_by_job(conn)
    finally:
        ctx.close()
    if not project.jobs:
        console.print("no job configured (docs/jobs.md)")
        return
    now = datetime.now(UTC)
    table = Table("job", "schedule", "connectors", "last run", "next run")
    for job in project.jobs:
        when = (cron.in_words(job.schedule, job.time_zone) if job.schedule is not None
                else "after " + ", ".join(job.after))
        if not job.enabled:
            when += " (disabled)"
        names = [c.identifier for c in job_connectors(job, project.connectors)]
        lasts = [last[key] for c in names if (key := (job.identifier, c.lower())) in last]
        newest = max(lasts, key=lambda r: r.id) if lasts else None
        next_at = (_moment(cron.next_fire(job.schedule, job.time_zone, now))
                   if job.schedule is not None and job.enabled else "—")
        table.add_row(escape(job.label()), escape(when), escape(", ".join(names)) or "—",
                      f"{_moment(newest.queued_at)} {newest.state}" if newest else "—",
                      next_at)
    console.print(table)


def job_runs(cli: typer.Context,
             limit: Annotated[int, typer.Option(min=1, max=1000, help="Recent job runs "
                                                                      "shown.")] = 20) -> None:
    """Queued, running and recent job runs, newest first."""
    ctx = open_project(cli)
    try:
        with ctx.engine.connect() as conn:
            found = jobruns.listing(conn, limit=limit)
    finally:
        ctx.close()
    if not found:
        console.print("no job run")
        return
    table = Table("id", "job", "connector", "trigger", "state", "queued", "runs", "message")
    for r in found:
        table.add_row(str(r.id), escape(r.job or "—"), escape(r.connector), r.trigger,
                      r.state + (f" ({escape(r.step)})" if r.step and r.state == "running"
                                 else ""),
                      _moment(r.queued_at), ", ".join(map(str, r.run_ids)) or "—",
                      escape(r.message or ""))
    console.print(table)


app.command("job-runs", cls=Command)(handled(job_runs))

connector_app = typer.Typer(cls=Group, help="Deactivate a connector (its jobs skip, saying "
                                            "so) or activate it again.",
                            no_args_is_help=True)
app.add_typer(connector_app, name="connector")


def _deployed_connector(cli: typer.Context, name: str) -> str:
    ctx = open_project(cli)
    try:
        found = ctx.deployed()[1].connector(name)
    finally:
        ctx.close()
    if found is None:
        raise NotFound(f"no connector `{name}`")
    return found.identifier


def connector_deactivate(cli: typer.Context, connector: str,
                         reason: Annotated[str, typer.Option(
                             help="Why (recorded, and shown by each skipped job run).")]
                         ) -> None:
    """Deactivate a connector: its job runs end skipped with who, when and why."""
    identifier = _deployed_connector(cli, connector)
    ctx = open_project(cli)
    try:
        with begin_write(ctx.engine) as conn:
            jobruns.deactivate(conn, identifier, cli_actor(), reason, datetime.now(UTC))
    finally:
        ctx.close()
    console.print(f"connector {identifier} deactivated: its jobs are skipped")


def connector_activate(cli: typer.Context, connector: str) -> None:
    """Activate a deactivated connector: its jobs run again."""
    identifier = _deployed_connector(cli, connector)
    ctx = open_project(cli)
    try:
        with begin_write(ctx.engine) as conn:
            done = jobruns.activate(conn, identifier, cli_actor())
    finally:
        ctx.close()
    if not done:
        err.print(f"connector {identifier} was not deactivated")
        return
    console.print(f"connector {identifier} activated: its jobs run again")


for _name, _command in (("deactivate", connector_deactivate),
                        ("activate", connector_activate)):
    connector_app.command(_name, cls=Command)(handled(_command))
