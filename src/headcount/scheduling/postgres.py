"""PostgreSQL's queue (issue 13): job runs wait in procrastinate's table, so that several `serve`
and `worker` processes on one database share them — each job run executed once, one run per
connector at a time across every process, a killed worker's job run found and handed back.

A procrastinate job carries only a job run's id (the `job_runs` row is the truth the UI reads):
its `lock` is the connector (procrastinate never starts two jobs of one lock at once, nor a
later one before an earlier one), its `queueing_lock` the job run (never twice waiting in the
queue). Procrastinate's tables come from its own SQL (migration 0027)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import procrastinate
import sqlalchemy as sa
from procrastinate import exceptions as queue_errors
from procrastinate.jobs import DeleteJobCondition, Status

from headcount.errors import RepositoryUnavailable
from headcount.repository import jobruns
from headcount.repository.schema import job_runs

logger = logging.getLogger(__name__)

TASK = "headcount.job_run"
# With `once`, a worker stops when none of its jobs runs or is due (procrastinate's own
# `wait=False` stops before the jobs queued while it runs: a job's follower, a retry).
_DUE = """SELECT count(*) AS due FROM procrastinate_jobs WHERE task_name = %(task)s
          AND (status = 'doing' OR (status = 'todo'
               AND (scheduled_at IS NULL OR scheduled_at <= now())))"""
# Procrastinate's table, as far as the sweeps read it (not ours: not in our metadata).
_queue_jobs = sa.table("procrastinate_jobs", sa.column("queueing_lock", sa.String),
                       sa.column("status", sa.String))


@dataclass(frozen=True)
class QueueTimings:
    """How fast a dead worker is noticed. Procrastinate's defaults: a heartbeat every 10 s, a
    worker silent for 30 s is dead."""

    heartbeat: float = 10.0
    stalled_after: float = 30.0
    # How often each worker looks for the jobs of dead workers.
    stalled_check: float = 15.0
    # A job run recorded `queued` this long ago but absent from the queue lost its enqueue
    # (its process died in between): the sweep at a worker's start queues it again. Long
    # enough for a live process to have finished what it started.
    orphan_grace: float = 60.0
    # LISTEN/NOTIFY wakes the workers when a job is queued, not when a connector's running
    # job ends and frees the next one: each worker polls for that.
    polling: float = 1.0
    # Job runs one worker process carries out at once (of distinct connectors).
    concurrency: int = 2
    # A job run its worker found no way to start (its connector still runs a job run whose
    # worker died, not yet handed back) waits this long before it is tried again.
    busy_retry: float = 5.0

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> QueueTimings:
        """The defaults, overridden by HEADCOUNT_WORKER_HEARTBEAT, …_STALLED_AFTER,
        …_CONCURRENCY (docs/deployment.md)."""
        timings = cls()
        heartbeat = environ.get("HEADCOUNT_WORKER_HEARTBEAT")
        stalled = environ.get("HEADCOUNT_WORKER_STALLED_AFTER")
        concurrency = environ.get("HEADCOUNT_WORKER_CONCURRENCY")
        try:
            if heartbeat:
                timings = replace(timings, heartbeat=float(heartbeat))
            if stalled:
                timings = replace(timings, stalled_after=float(stalled),
                                  stalled_check=float(stalled) / 2)
            if concurrency:
                timings = replace(timings, concurrency=int(concurrency))
        except ValueError as exc:
            raise RepositoryUnavailable(f"worker settings in the environment: {exc}") from exc
        return timings


def job_lock(connector: str) -> str:
    """The procrastinate lock of a connector's job runs: one at a time, in queue order."""
    return f"connector:{connector.lower()}"


def queueing_lock(job_run_id: int) -> str:
    return f"job-run:{job_run_id}"


class ProcrastinateQueue:
    """The `QueueBackend` of a PostgreSQL database (scheduling/backend.py)."""

    def __init__(self, engine: sa.Engine, timings: QueueTimings | None = None) -> None:
        self.engine = engine
        self.timings = timings or QueueTimings()
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False)
        self._deferrer: procrastinate.App | None = None
        self._guard = threading.Lock()

    def enqueue(self, job_run_id: int, connector: str, not_before: datetime | None) -> None:
        """Queue a job run; one already waiting in the queue is not queued twice."""
        options: dict[str, Any] = {"lock": job_lock(connector),
                                   "queueing_lock": queueing_lock(job_run_id)}
        if not_before is not None:
            options["schedule_at"] = _aware(not_before)
            if options["schedule_at"] > datetime.now(UTC):
                options["priority"] = _priority(options["schedule_at"])
        try:
            self._app().configure_task(TASK, **options).defer(job_run_id=job_run_id)
        except queue_errors.AlreadyEnqueued:
            pass
        except queue_errors.ConnectorException as exc:
            raise self._unavailable(exc) from exc

    def cancel(self, job_run_ids: Sequence[int]) -> None:
        """Take job runs out of the queue that no worker has taken yet (a started one runs
        on; the caller records the cancellation in its job run)."""
        manager = self._app().job_manager
        try:
            for job_run_id in job_run_ids:
                for job in manager.list_jobs(task=TASK, status=Status.TODO.value,
                                             queueing_lock=queueing_lock(job_run_id)):
                    assert job.id is not None
                    manager.cancel_job_by_id(job.id, delete_job=True)
        except queue_errors.ConnectorException as exc:
            raise self._unavailable(exc) from exc

    def serve(self, execute: Callable[[int], None], stalled: Callable[[int], None],
              stop: threading.Event, once: bool = False,
              concurrency: int | None = None) -> None:
        """Run a procrastinate worker until `stop` is set (with `once`: until no job run is
        due): `execute` each job run it takes (`concurrency` at once, else the timings'), and
        hand the job runs of dead workers to `stalled`. A job run running when `stop` is set
        finishes first."""
        self.requeue_orphans(datetime.now(UTC))
        timings = self.timings if concurrency is None else replace(
            self.timings, concurrency=max(1, concurrency))
        work = self._serve(execute, stalled, stop, once, timings)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(work)
            return
        # Called from a thread that runs an event loop already (an async caller): the worker's
        # loop gets a thread of its own.
        thread = threading.Thread(target=asyncio.run, args=(work,), name="queue-worker")
        thread.start()
        thread.join()

    def requeue_orphans(self, now: datetime) -> list[int]:
        """Queue again the job runs recorded `queued` (before the grace period) that the queue
        does not hold: their process died between the record and the enqueue. Their ids."""
        waiting = (sa.select(sa.literal(1)).select_from(_queue_jobs)
                   .where(_queue_jobs.c.queueing_lock
                          == sa.func.concat("job-run:", sa.cast(job_runs.c.id, sa.String)),
                          sa.cast(_queue_jobs.c.status, sa.String).in_(("todo", "doing"))))
        query = (sa.select(job_runs.c.id, job_runs.c.connector, job_runs.c.not_before)
                 .where(job_runs.c.state == jobruns.QUEUED,
                        job_runs.c.queued_at < now - timedelta(seconds=self.timings.orphan_grace),
                        ~waiting.exists())
                 .order_by(job_runs.c.id))
        with self.engine.connect() as conn:
            orphans = conn.execute(query).all()
        for job_run_id, connector, not_before in orphans:
            logger.warning("job run %s was queued but not in the queue: queued again", job_run_id)
            self.enqueue(job_run_id, connector, not_before)
        return [row[0] for row in orphans]

    def abandoned(self, now: datetime) -> list[int]:
        """Job runs recorded `running` that no queue job carries out any more and whose
        heartbeat is older than the stalled threshold: their worker died after the queue let go
        of them (a worker that handed back a dead one's job and died before recording it, an
        outcome its database refused). Their ids, for `stalled`."""
        doing = (sa.select(sa.literal(1)).select_from(_queue_jobs)
                 .where(_queue_jobs.c.queueing_lock
                        == sa.func.concat("job-run:", sa.cast(job_runs.c.id, sa.String)),
                        sa.cast(_queue_jobs.c.status, sa.String) == "doing"))
        last_sign = sa.func.coalesce(job_runs.c.heartbeat_at, job_runs.c.started_at,
                                     job_runs.c.queued_at)
        query = (sa.select(job_runs.c.id)
                 .where(job_runs.c.state == jobruns.RUNNING,
                        last_sign < now - timedelta(seconds=self.timings.stalled_after),
                        ~doing.exists())
                 .order_by(job_runs.c.id))
        with self.engine.connect() as conn:
            return [int(i) for i in conn.execute(query).scalars()]

    def close(self) -> None:
        with self._guard:
            if self._deferrer is not None:
                self._deferrer.close()
                self._deferrer = None

    def _app(self) -> procrastinate.App:
        # The process's connection pool for enqueue and cancel, opened on first use: a web
        # server that never queues opens none.
        with self._guard:
            if self._deferrer is None:
                connector = procrastinate.SyncPsycopgConnector(
                    conninfo=self._conninfo, min_size=1, max_size=4)
                self._deferrer = procrastinate.App(connector=connector).open()
            return self._deferrer

    async def _serve(self, execute: Callable[[int], None], stalled: Callable[[int], None],
                     stop: threading.Event, once: bool, timings: QueueTimings) -> None:
        connector = procrastinate.PsycopgConnector(
            conninfo=self._conninfo, min_size=1, max_size=timings.concurrency + 3)
        app = procrastinate.App(connector=connector)

        @app.task(name=TASK)
        def run(job_run_id: int) -> None:
            execute(job_run_id)
            self._again_if_not_taken(job_run_id)

        async with app.open_async():
            worker = asyncio.create_task(app.run_worker_async(
                name=f"{socket.gethostname()}:{os.getpid()}",
                concurrency=timings.concurrency,
                install_signal_handlers=False,
                delete_jobs=DeleteJobCondition.ALWAYS,
                update_heartbeat_interval=timings.heartbeat,
                stalled_worker_timeout=timings.stalled_after,
                fetch_job_polling_interval=timings.polling))
            loop = asyncio.get_running_loop()
            next_check = loop.time()
            while not stop.is_set() and not worker.done():
                if loop.time() >= next_check:
                    await self._hand_back_stalled(app, stalled)
                    await asyncio.to_thread(self._hand_back_abandoned, stalled)
                    next_check = loop.time() + timings.stalled_check
                await asyncio.sleep(0.2)
                if once and (await app.connector.execute_query_one_async(
                        query=_DUE, task=TASK))["due"] == 0:
                    break
            if worker.done():
                # The worker stopped by itself: its database went away.
                try:
                    worker.result()
                except queue_errors.ConnectorException as exc:
                    raise self._unavailable(exc) from exc
                return
            # Cancelling the worker's task stops it gracefully: it waits for its running jobs.
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    def _again_if_not_taken(self, job_run_id: int) -> None:
        # `execute` leaves a job run queued when its connector is busy; procrastinate's job is
        # done all the same, so the job run goes back to the queue, a little later.
        with self.engine.connect() as conn:
            job_run = jobruns.get(conn, job_run_id)
        if job_run is not None and job_run.state == jobruns.QUEUED:
            later = datetime.now(UTC) + timedelta(seconds=self.timings.busy_retry)
            self.enqueue(job_run_id, job_run.connector,
                         max(later, _aware(job_run.not_before)) if job_run.not_before else later)

    async def _hand_back_stalled(self, app: procrastinate.App,
                                 stalled: Callable[[int], None]) -> None:
        jobs = await app.job_manager.get_stalled_jobs(
            task_name=TASK, seconds_since_heartbeat=self.timings.stalled_after)
        for job in jobs:
            assert job.id is not None
            try:
                # Finishing the job is the claim: of two workers that see it, one succeeds.
                # It frees the connector's lock for the job run's retry.
                await app.job_manager.finish_job_by_id_async(job.id, status=Status.FAILED,
                                                             delete_job=True)
            except queue_errors.ConnectorException:
                continue
            job_run_id = job.task_kwargs["job_run_id"]
            assert isinstance(job_run_id, int)
            logger.warning("job run %s: its worker died; handed back", job_run_id)
            try:
                await asyncio.to_thread(stalled, job_run_id)
            except Exception:
                # The job run's own record says what went wrong; this worker serves on.
                logger.exception("job run %s: handing it back failed", job_run_id)

    def _hand_back_abandoned(self, stalled: Callable[[int], None]) -> None:
        try:
            found = self.abandoned(datetime.now(UTC))
        except sa.exc.OperationalError:
            logger.warning("abandoned job runs: the database did not answer; next look later")
            return
        for job_run_id in found:
            logger.warning("job run %s: running, yet no worker carries it out; handed back",
                           job_run_id)
            try:
                stalled(job_run_id)
            except Exception:
                logger.exception("job run %s: handing it back failed", job_run_id)

    def _unavailable(self, exc: Exception) -> RepositoryUnavailable:
        where = self.engine.url.render_as_string(hide_password=True)
        return RepositoryUnavailable(
            f"the job queue in {where} cannot be reached: {exc.__cause__ or exc}")


def backend(engine: sa.Engine, timings: QueueTimings | None = None) -> ProcrastinateQueue:
    """The queue of a PostgreSQL database, its worker's timings from the environment unless
    given."""
    return ProcrastinateQueue(engine, timings or QueueTimings.from_environment(os.environ))


def _priority(due: datetime) -> int:
    # Procrastinate starts a lock's jobs by priority, then in queue order, and a job not yet
    # due holds back those behind it: the later a job run is due, the lower it stands, so that
    # one due tomorrow never holds back one due now (priority 0) or sooner.
    return -int(due.timestamp() // 60)


def _aware(moment: datetime) -> datetime:
    # The job runs' columns are timezone-aware; a naive instant is UTC, as they store it.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
