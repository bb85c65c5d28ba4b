"""Runs launched from the web go through the queue (`headcount.scheduling.submit`): a worker
carries them out — the one `headcount serve` embeds, or, in an app without one (tests,
scripts), a drain of this process. The page waits a moment for the run to be recorded, then
follows it by polling its job result; the live step is the job run's.

A dry run (a preview) changes nothing and is nobody's turn in the queue: it runs in a thread of
its own, as `headcount sync --dry-run` runs in the calling process."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from headcount.errors import HeadcountError, RunRefused
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import jobruns
from headcount.repository.jobruns import JobRun
from headcount.repository.schema import job_runs
from headcount.scheduling import JobRequest, submit
from headcount.scheduling.submission import drain_here
from headcount.scheduling.worker import Drain

# Job runs that end without a run: their message is the answer to the person who launched.
_REFUSED = (jobruns.FAILED, jobruns.SKIPPED, jobruns.CANCELLED, jobruns.BLOCKED)


@dataclass(frozen=True)
class Launched:
    job_run_id: int
    # None: not started within the wait (the connector is busy, or no worker runs): the Job
    # Execution page lists the job run as queued.
    run_id: int | None

    def target(self, connector: str) -> str:
        """What the audit log names: the run (the job result says who launched it), or the job
        run while it waits."""
        if self.run_id is not None:
            return f"run {self.run_id} of {connector}"
        return f"job run {self.job_run_id} of {connector}"


@dataclass
class _Preview:
    event: threading.Event = field(default_factory=threading.Event)
    run_id: int | None = None
    error: HeadcountError | None = None


class Launcher:
    def __init__(self, ctx: ProjectContext, url: str,
                 finished: Callable[[], None] | None = None) -> None:
        self.ctx = ctx
        self.url = url
        self.finished = finished
        self._drain: Drain | None = None
        self._threads: list[threading.Thread] = []
        self._threads_guard = threading.Lock()

    def in_background(self, target: Callable[[], None], name: str) -> None:
        """Run `target` in a thread of its own that `close` waits for: a thread still reading
        the database once its engine is disposed would leave a connection to the garbage."""
        thread = threading.Thread(target=target, daemon=True, name=name)
        with self._threads_guard:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def drain_here(self, enabled: bool) -> None:
        """Carry out in this process what it queues (the default of an app); off when the
        process runs a worker of its own, or must only serve (`serve --no-worker`)."""
        self._drain = Drain(self.ctx, finished=self._job_finished) if enabled else None
        drain_here(self.url, self._drain.wake if self._drain is not None else None)

    def close(self) -> None:
        """Stop carrying out what this process queues, once the job run under way ends; wait
        for the threads started in the background (dry runs, lists being built)."""
        if self._drain is not None:
            drain_here(self.url, None)
            self._drain.stop()
            self._drain = None
        with self._threads_guard:
            threads, self._threads = self._threads, []
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(60.0)

    def _job_finished(self, job_run: JobRun) -> None:
        if self.finished is not None:
            self.finished()

    def submit(self, request: JobRequest) -> int:
        return submit(self.ctx, request)

    def launch(self, request: JobRequest, wait: float = 10.0) -> Launched:
        """Queue a job run; return it with its first run's id once recorded (or raise why it
        ended without one)."""
        job_run_id = self.submit(request)
        deadline = time.monotonic() + wait
        while True:
            found = jobruns.get_one(self.ctx.engine, job_run_id)
            assert found is not None
            if found.run_ids:
                return Launched(job_run_id, found.run_ids[0])
            if found.state in _REFUSED:
                raise RunRefused(found.message or f"job run {job_run_id} {found.state}")
            if found.state not in jobruns.OPEN or time.monotonic() > deadline:
                return Launched(job_run_id, None)
            time.sleep(0.05)

    def preview(self, request: SyncRequest, wait: float = 10.0) -> int:
        """Start a dry run; return its id once it is recorded (or raise why it could not)."""
        started = _Preview()
        self.in_background(lambda: self._preview(request, started),
                           name=f"preview-{request.connector}")
        started.event.wait(wait)
        if started.error is not None:
            raise started.error
        if started.run_id is None:
            raise HeadcountError("the run did not start in time; see the Job Execution page")
        return started.run_id

    def _preview(self, request: SyncRequest, started: _Preview) -> None:
        class Progress:
            def run_started(self, run_id: int) -> None:
                started.run_id = run_id
                started.event.set()

            def step(self, name: str) -> None:
                return None

        try:
            synchronize(self.ctx, request, Progress())
        except HeadcountError as exc:
            started.error = exc
        finally:
            started.event.set()

    def step(self, run_id: int) -> str | None:
        """The step a live run is in, as its job run records it."""
        with self.ctx.engine.connect() as conn:
            rows = conn.execute(sa.select(job_runs.c.run_ids, job_runs.c.step).where(
                job_runs.c.state == jobruns.RUNNING)).all()
        return next((str(step) for ids, step in rows
                     if step is not None and run_id in json.loads(ids)), None)
