"""Jobs that run themselves (SPEC §11, issue 13): configured jobs fired by their cron schedules,
launches, agents' deliveries and pushed records, all queued as **job runs** and carried out by
workers — one run per connector at a time.

The one interface the other stages use is `submit()`: record a job run and queue it. The web
UI's Launch, the agent API (a delivery to apply) and the pushed-records API (records to apply)
all go through it.

STUB (issue 13 groundwork): `submit` carries requests out in a thread per connector, in order,
joining coalescing ones, without a job-run record; the scheduling part of the issue replaces the
body, never the signature."""

from __future__ import annotations

import contextlib
import itertools
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from headcount.project import ProjectContext

# The tasks a job chains (SPEC §11): synchronize runs export → prepare → synchronize → policy →
# orders → fulfill for its connector (jobs/synchronization.py); evaluate is the date evaluation
# of the resource types the connector feeds (jobs/evaluation.py).
SYNCHRONIZE = "synchronize"
EVALUATE = "evaluate"
TASKS = (SYNCHRONIZE, EVALUATE)

# Why a job run exists.
SCHEDULE = "schedule"      # its job's cron schedule fired
CATCH_UP = "catch-up"      # a fire missed while no worker ran, run once at start
LAUNCH = "launch"          # a person: the UI's Launch, `headcount launch`
AGENT = "agent"            # a remote agent delivered the connector's files
PUSH = "push"              # records pushed over HTTPS wait to be applied
RETRY = "retry"            # an earlier attempt failed or was interrupted
TRIGGERS = (SCHEDULE, CATCH_UP, LAUNCH, AGENT, PUSH, RETRY)


@dataclass(frozen=True)
class JobRequest:
    connector: str
    tasks: tuple[str, ...] = (SYNCHRONIZE,)
    # synchronize's mode (initial, complete, incremental); None: the engine chooses.
    mode: str | None = None
    # The configured job it runs (config `jobs:`); None: a one-off (a launch, a delivery…).
    job: str | None = None
    trigger: str = LAUNCH
    actor: str = "cli"
    # The cron tick it fires for: (job, connector, scheduled_for) is queued at most once.
    scheduled_for: datetime | None = None
    # An agent's delivery (agents/deliveries.py) whose files the run reads instead of
    # exporting the connector's own.
    delivery: int | None = None
    # Join a queued job run of the same connector and trigger that has not started yet instead
    # of queuing another (pushed records: one run applies every request waiting).
    coalesce: bool = False
    force: bool = False
    reason: str | None = None


_ids = itertools.count(1)
_guard = threading.Lock()
# Per connector: the requests waiting, in order, and whether a thread carries them out.
_waiting: dict[str, list[JobRequest]] = {}
_busy: set[str] = set()


def submit(ctx: ProjectContext, request: JobRequest) -> int:
    """Record a job run for `request` and queue it; return its id. The caller does not wait:
    the run's progress and outcome are read from the job run (and its runs' job results)."""
    job_run_id = next(_ids)
    key = request.connector.lower()
    with _guard:
        waiting = _waiting.setdefault(key, [])
        if not (request.coalesce and any(
                w.coalesce and w.trigger == request.trigger for w in waiting)):
            waiting.append(request)
        if key in _busy:
            return job_run_id
        _busy.add(key)
    url = ctx.engine.url.render_as_string(hide_password=False)
    thread = threading.Thread(target=_drain, args=(ctx.directory, url, key), daemon=True,
                              name=f"job-runs-{key}")
    thread.start()
    return job_run_id


def _drain(directory: Path, url: str, key: str) -> None:
    # One thread per connector carries its requests out in order: one run at a time.
    while True:
        with _guard:
            if not _waiting.get(key):
                _busy.discard(key)
                return
            request = _waiting[key].pop(0)
        # A stub: the job result records what went wrong.
        with contextlib.suppress(Exception):
            _run(directory, url, request)


def _run(directory: Path, url: str, request: JobRequest) -> None:
    from headcount.agents import deliveries
    from headcount.jobs.evaluation import evaluate_policy
    from headcount.jobs.synchronization import SyncRequest, synchronize

    ctx = ProjectContext.open(directory, url)
    try:
        for task in request.tasks:
            if task == SYNCHRONIZE:
                source = None if request.delivery is None else \
                    deliveries.given_source(ctx, request.delivery)
                synchronize(ctx, SyncRequest(request.connector, request.mode,
                                             force=request.force, reason=request.reason,
                                             actor=request.actor, source=source))
            elif task == EVALUATE:
                evaluate_policy(ctx, request.connector, actor=request.actor)
    finally:
        ctx.close()
