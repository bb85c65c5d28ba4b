"""Workers: `Worker` takes queued job runs from the queue backend and ticks the scheduler
(`headcount worker`, and the one `headcount serve` embeds); `Drain` carries out, in the process
that queued them, the job runs of a web app that has no worker of its own."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from headcount.errors import HeadcountError
from headcount.jobs.events import announce_stale
from headcount.project import ProjectContext
from headcount.repository.jobruns import JobRun
from headcount.scheduling.backend import QueueBackend, backend_for
from headcount.scheduling.executor import Executor
from headcount.scheduling.local import LocalQueue, worker_name
from headcount.scheduling.scheduler import Scheduler

Clock = Callable[[], datetime]
TICK_SECONDS = 20.0
# How often the scheduler looks for stale source files to announce (docs/notifications.md, job
# events): a spell is announced once, so looking often costs a query, never a second mail.
STALE_EVERY = timedelta(minutes=10)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Worker:
    """`concurrency`: job runs (of distinct connectors) carried out at once; None: the
    backend's own setting (PostgreSQL's from the environment, docs/deployment.md), else 2."""

    def __init__(self, ctx: ProjectContext, concurrency: int | None = None,
                 clock: Clock = _utcnow,
                 schedule: bool = True, tick_seconds: float = TICK_SECONDS,
                 poll_seconds: float = 1.0,
                 finished: Callable[[JobRun], None] | None = None) -> None:
        self.ctx = ctx
        self.clock = clock
        self.schedule = schedule
        self.tick_seconds = tick_seconds
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.backend: QueueBackend = (
            LocalQueue(ctx.engine, concurrency or 2, poll_seconds, clock)
            if ctx.engine.dialect.name == "sqlite" else backend_for(ctx.engine))
        self.scheduler = Scheduler(ctx, clock(), self.backend)
        self.finished = finished
        self.executor = Executor(ctx, self.backend, worker_name(), clock,
                                 finished=self._finished)

    def _finished(self, job_run: JobRun) -> None:
        # A job that runs `after` this one need not wait for the next tick.
        if job_run.job is not None:
            self._tick(follow_only=True)
        if self.finished is not None:
            self.finished(job_run)

    def _tick(self, follow_only: bool = False) -> None:
        try:
            if follow_only:
                self.scheduler.follow(self.ctx.deployed()[1], self.clock())
            else:
                self.scheduler.tick(self.clock())
        except HeadcountError:
            pass  # nothing deployed yet: nothing is scheduled

    def run(self, stop: threading.Event, once: bool = False) -> None:
        """Until `stop` is set; with `once`, tick once and return when nothing is due."""
        if not self.schedule:
            pass
        elif once:
            self._tick()
        else:
            threading.Thread(target=self._ticking, args=(stop,), daemon=True,
                             name="scheduler").start()
        self.backend.serve(self.executor.execute, self.executor.stalled, stop, once=once,
                           concurrency=self.concurrency)

    def _ticking(self, stop: threading.Event) -> None:
        looked: datetime | None = None
        while not stop.is_set():
            self._tick()
            now = self.clock()
            if looked is None or now - looked >= STALE_EVERY:
                looked = now
                self._announce_stale(now)
            stop.wait(self.tick_seconds)

    def _announce_stale(self, now: datetime) -> None:
        # Nothing deployed yet: no connector to be stale.
        with contextlib.suppress(HeadcountError):
            announce_stale(self.ctx.engine, self.ctx.deployed()[1], now,
                           folder=self.ctx.directory)


class Drain:
    """Carries out what this process queued, in a thread that ends when nothing is due (the
    web app without a worker: tests, scripts — `headcount serve` runs a `Worker`)."""

    def __init__(self, ctx: ProjectContext,
                 finished: Callable[[JobRun], None] | None = None) -> None:
        self.ctx = ctx
        self.finished = finished
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False
        self._stop = threading.Event()

    def wake(self) -> None:
        with self._guard:
            if self._stop.is_set():
                return
            self._again = True
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._drain, daemon=True,
                                            name="job-runs-drain")
            self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Take nothing more, and wait for the job run under way to end: the app is closing
        (its database may go next)."""
        with self._guard:
            self._stop.set()
            self._again = False
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _drain(self) -> None:
        worker = Worker(self.ctx, concurrency=4, schedule=False, poll_seconds=0.2,
                        finished=self.finished)
        while True:
            with self._guard:
                if not self._again or self._stop.is_set():
                    self._thread = None
                    return
                self._again = False
            worker.run(self._stop, once=True)
