"""What a worker does with a job run: take it (queued → running, one worker, one run per
connector), skip it when its connector is deactivated, run its tasks (synchronize, evaluate) —
or, for a connector served by a remote agent, ask the agents for its files and wait — and record
the run ids, the live step, a heartbeat and the outcome; a failed or interrupted job run is
retried per its job's retry policy, as a new job run (trigger `retry`) answering it."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

import sqlalchemy as sa

from headcount.agents import deliveries
from headcount.config.jobs import Retry
from headcount.config.model import Connector, Project
from headcount.errors import HeadcountError
from headcount.jobs.evaluation import evaluate_policy
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.policy.job import resource_types_fed_by
from headcount.project import ProjectContext
from headcount.repository import jobruns, runs
from headcount.repository.database import begin_write
from headcount.repository.jobruns import JobRun
from headcount.scheduling.backend import QueueBackend
from headcount.scheduling.request import EVALUATE, RETRY, SYNCHRONIZE, JobRequest
from headcount.scheduling.submission import record

Clock = Callable[[], datetime]
HEARTBEAT_SECONDS = 10.0
_RUN_STATES = {runs.SUCCEEDED: jobruns.SUCCEEDED, runs.WARNINGS: jobruns.WARNINGS,
               runs.BLOCKED: jobruns.BLOCKED, runs.FAILED: jobruns.FAILED,
               runs.INTERRUPTED: jobruns.INTERRUPTED, runs.CANCELLED: jobruns.CANCELLED}
# The worst state of a job run's runs is its own.
_SEVERITY = (jobruns.SUCCEEDED, jobruns.WARNINGS, jobruns.CANCELLED, jobruns.INTERRUPTED,
             jobruns.BLOCKED, jobruns.FAILED)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _Live:
    """Where the run is and that its worker lives, written to the job run by a thread of its
    own: the run calls `step` inside its transactions, and on SQLite a write from there would
    wait for the lock its own thread holds. The job result page reads the step live."""

    def __init__(self, executor: Executor, job_run_id: int) -> None:
        self.executor = executor
        self.job_run_id = job_run_id
        self._step: str | None = None
        self._runs: list[int] = []
        self._written = 0
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._soon = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True,
                                        name=f"heartbeat-{job_run_id}")

    def run_started(self, run_id: int) -> None:
        with self._guard:
            self._runs.append(run_id)
        self._soon.set()

    def step(self, name: str) -> None:
        with self._guard:
            self._step = name
        self._soon.set()

    def __enter__(self) -> _Live:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        self._stop.set()
        self._soon.set()
        self._thread.join()
        self._write()  # the run ids, whatever happened
        return False

    def _beat(self) -> None:
        while not self._stop.is_set():
            self._soon.wait(self.executor.heartbeat_seconds)
            self._soon.clear()
            if not self._stop.is_set():
                self._write()

    def _write(self) -> None:
        with self._guard:
            step, new = self._step, self._runs[self._written:]
        engine = self.executor.ctx.engine
        try:
            for run_id in new:
                jobruns.add_run(engine, self.job_run_id, run_id)
                self._written += 1
            jobruns.beat(engine, self.job_run_id, self.executor.clock(), step)
        except sa.exc.OperationalError:
            pass  # the database is busy: the next beat writes it


class Executor:
    def __init__(self, ctx: ProjectContext, backend: QueueBackend, worker: str,
                 clock: Clock = _utcnow, heartbeat_seconds: float = HEARTBEAT_SECONDS,
                 finished: Callable[[JobRun], None] | None = None) -> None:
        self.ctx = ctx
        self.backend = backend
        self.worker = worker
        self.clock = clock
        self.heartbeat_seconds = heartbeat_seconds
        self.finished = finished

    def execute(self, job_run_id: int) -> None:
        """Take the job run and carry it out; nothing when another worker has it, it was
        cancelled, or its connector is busy (it stays queued)."""
        job_run = jobruns.claim(self.ctx.engine, job_run_id, self.worker, self.clock())
        if job_run is None:
            return
        state, message, project = jobruns.FAILED, None, None
        try:
            _, project = self.ctx.deployed()
            state, message = self._carry_out(project, job_run)
        except HeadcountError as exc:
            message = str(exc)
        except Exception as exc:  # a bug must not kill the worker: the job run says it
            message = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        self._end(project, job_run, state, message)

    def _carry_out(self, project: Project, job_run: JobRun) -> tuple[str, str | None]:
        connector = project.connector(job_run.connector)
        if connector is None:
            return jobruns.FAILED, f"no connector `{job_run.connector}` is deployed"
        inactive = self._inactive(connector)
        if inactive is not None:
            return jobruns.SKIPPED, inactive
        if job_run.mode == "complete":
            cancelled = jobruns.cancel_queued_incrementals(
                self.ctx.engine, connector.identifier, job_run.id, self.clock())
            if cancelled:
                self.backend.cancel(cancelled)
        states: list[str] = []
        notes: list[str] = []
        with _Live(self, job_run.id) as progress:
            for task in job_run.tasks:
                if task == SYNCHRONIZE:
                    if connector.agent == "remote" and job_run.delivery is None:
                        with begin_write(self.ctx.engine) as conn:
                            work = deliveries.request_work(conn, connector.identifier,
                                                           job_run.mode, job_run.id)
                        return jobruns.WAITING, f"waiting for an agent's delivery (work {work})"
                    source = (deliveries.given_source(self.ctx, job_run.delivery)
                              if job_run.delivery is not None else None)
                    result = synchronize(self.ctx, SyncRequest(
                        connector.identifier, job_run.mode, force=job_run.force,
                        reason=job_run.reason, actor=job_run.actor, now=self.clock(),
                        source=source), progress)
                elif task == EVALUATE:
                    if not resource_types_fed_by(project, connector):
                        notes.append("no resource type reads from it: nothing to evaluate")
                        continue
                    result = evaluate_policy(self.ctx, connector.identifier,
                                             now=self.clock(), actor=job_run.actor,
                                             progress=progress)
                else:
                    return jobruns.FAILED, f"unknown task `{task}`"
                states.append(_RUN_STATES.get(result.state, jobruns.SUCCEEDED))
                if result.message:
                    notes.append(result.message)
                if states[-1] in (jobruns.BLOCKED, jobruns.FAILED):
                    break  # the next task would read what this one did not apply
        worst = max(states, key=_SEVERITY.index) if states else jobruns.SUCCEEDED
        return worst, "; ".join(notes) or None

    def _inactive(self, connector: Connector) -> str | None:
        if not connector.active:
            return (f"connector {connector.identifier} is deactivated (active: false in its "
                    "configuration)")
        with self.ctx.engine.connect() as conn:
            off = jobruns.deactivations(conn).get(connector.identifier.lower())
        return off.message() if off is not None else None

    def _end(self, project: Project | None, job_run: JobRun, state: str,
             message: str | None) -> None:
        now = self.clock()
        if state in (jobruns.FAILED, jobruns.INTERRUPTED):
            retried = self._retry(project, job_run, now, message)
            if retried is not None:
                message = f"{message or state}; retried as job run {retried}"
        jobruns.finish(self.ctx.engine, job_run.id, state, message, now)
        if job_run.delivery is not None and job_run.parent is not None:
            jobruns.answer(self.ctx.engine, job_run.parent, job_run.id, state, now)
        if self.finished is not None:
            done = jobruns.get_one(self.ctx.engine, job_run.id)
            if done is not None:
                self.finished(done)

    def stalled(self, job_run_id: int) -> None:
        """Its worker died: the job run is interrupted, and retried per its job's policy."""
        with self.ctx.engine.connect() as conn:
            job_run = jobruns.get(conn, job_run_id)
        if job_run is None or job_run.state != jobruns.RUNNING:
            return
        try:
            _, project = self.ctx.deployed()
        except HeadcountError:
            project = None
        beat = f" (last heartbeat {job_run.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC)" \
            if job_run.heartbeat_at is not None else ""
        message = f"its worker {job_run.worker} stopped{beat}"
        # Two workers may find it at once (a dead worker's job, an abandoned job run): one
        # hands it back, so that it is retried once.
        if not jobruns.interrupt(self.ctx.engine, job_run.id, message, self.clock()):
            return
        self._end(project, job_run, jobruns.INTERRUPTED, message)

    def _retry(self, project: Project | None, job_run: JobRun, now: datetime,
               message: str | None) -> int | None:
        job = project.job(job_run.job) if project is not None and job_run.job else None
        policy = job.retry if job is not None else Retry()
        if job_run.attempts >= policy.attempts:
            return None
        request = JobRequest(
            job_run.connector, job_run.tasks, job_run.mode, job_run.job, RETRY, job_run.actor,
            delivery=job_run.delivery, force=job_run.force, reason=job_run.reason,
            parent=job_run.id, not_before=now + timedelta(minutes=policy.delay_minutes))
        return record(self.ctx, request, now, self.backend, attempts=job_run.attempts,
                      message=f"attempt {job_run.attempts + 1} of {policy.attempts}")
