"""`submit`: record a job run and queue it — the one way work enters the queue."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa

from headcount.project import ProjectContext
from headcount.repository import jobruns
from headcount.repository.schema import job_runs
from headcount.scheduling.backend import QueueBackend, backend_for
from headcount.scheduling.request import JobRequest

# Processes that carry out what they queue themselves (the web app without a worker of its own,
# as `create_app` makes it in tests and scripts): by database URL, what wakes their drain.
_drains: dict[str, Callable[[], None]] = {}
_guard = threading.Lock()


def drain_here(url: str, wake: Callable[[], None] | None) -> None:
    """Have this process carry out the job runs it submits to `url` (`wake` starts that), or
    stop (None): a process with a worker of its own, or one that only queues."""
    with _guard:
        if wake is None:
            _drains.pop(url, None)
        else:
            _drains[url] = wake


def submit(ctx: ProjectContext, request: JobRequest, *, now: datetime | None = None,
           backend: QueueBackend | None = None) -> int:
    """Record a job run for `request` and queue it; return its id. The caller does not wait:
    the run's progress and outcome are read from the job run (and its runs' job results).
    A coalescing request joins a queued job run of its connector and trigger; a scheduled tick
    already recorded returns that job run."""
    at = now or datetime.now(UTC)
    job_run_id = record(ctx, request, at, backend)
    if job_run_id is None:
        assert request.job is not None
        assert request.scheduled_for is not None
        with ctx.engine.connect() as conn:
            found = jobruns.at_tick(conn, request.job, request.connector, request.scheduled_for)
        assert found is not None
        return found.id
    return job_run_id


def join_queued(conn: sa.Connection, connector: str, trigger: str) -> int | None:
    """In the caller's write transaction, before it commits what the job run is to read: the
    queued job run of `connector` and `trigger` a coalescing request joins (None: submit one
    after the commit). The row is locked until the commit (SQLite: the write lock), so no worker
    starts it before what the caller writes can be read."""
    return conn.execute(sa.select(job_runs.c.id).where(
        sa.func.lower(job_runs.c.connector) == connector.lower(),
        job_runs.c.trigger == trigger, job_runs.c.state == jobruns.QUEUED,
    ).order_by(job_runs.c.id).limit(1).with_for_update()).scalar()


def record(ctx: ProjectContext, request: JobRequest, now: datetime,
           backend: QueueBackend | None = None, state: str = jobruns.QUEUED,
           message: str | None = None, attempts: int = 0) -> int | None:
    """The job run recorded (None: its tick was recorded already), queued when `state` is."""
    if request.coalesce and state == jobruns.QUEUED:
        with ctx.engine.connect() as conn:
            joined = jobruns.coalescing(conn, request.connector, request.trigger)
        if joined is not None:
            return joined.id
    job_run_id = jobruns.insert(ctx.engine, jobruns.NewJobRun(
        connector=request.connector, tasks=tuple(request.tasks), mode=request.mode,
        trigger=request.trigger, actor=request.actor, job=request.job,
        scheduled_for=request.scheduled_for, not_before=request.not_before, state=state,
        message=message, delivery=request.delivery, parent=request.parent,
        force=request.force, reason=request.reason, attempts=attempts), now)
    if job_run_id is None or state != jobruns.QUEUED:
        return job_run_id
    queue = backend or backend_for(ctx.engine)
    if request.mode == "complete":
        # A complete run makes the queued incrementals of its connector pointless.
        cancelled = jobruns.cancel_queued_incrementals(ctx.engine, request.connector,
                                                       job_run_id, now)
        if cancelled:
            queue.cancel(cancelled)
    queue.enqueue(job_run_id, request.connector, request.not_before)
    with _guard:
        wake = _drains.get(ctx.engine.url.render_as_string(hide_password=False))
    if wake is not None:
        wake()
    return job_run_id
