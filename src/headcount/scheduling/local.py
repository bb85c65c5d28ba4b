"""The local queue (SQLite, or PostgreSQL without procrastinate): the `job_runs` table is the
queue. A worker polls it for queued job runs that are due, runs at most one per connector (and
`concurrency` in all) in threads, and hands job runs left running by a dead worker to
`stalled`."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from headcount.repository import jobruns
from headcount.repository.locks import RunLock

Clock = Callable[[], datetime]
# A job run whose worker is on another machine is stalled when its heartbeat is older than this
# and its connector's RunLock is free; on this machine, when the worker's process is gone.
STALE_AFTER = timedelta(minutes=2)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class LocalQueue:
    def __init__(self, engine: sa.Engine, concurrency: int = 2, poll_seconds: float = 1.0,
                 clock: Clock = _utcnow, stale_after: timedelta = STALE_AFTER) -> None:
        self.engine = engine
        self.concurrency = max(1, concurrency)
        self.poll_seconds = poll_seconds
        self.clock = clock
        self.stale_after = stale_after
        self._wake = threading.Event()

    def enqueue(self, job_run_id: int, connector: str, not_before: datetime | None) -> None:
        # The row is the queue: only wake a worker of this process.
        self._wake.set()

    def cancel(self, job_run_ids: Sequence[int]) -> None:
        # The caller marked the rows cancelled: no worker takes them.
        return None

    def serve(self, execute: Callable[[int], None], stalled: Callable[[int], None],
              stop: threading.Event, once: bool = False,
              concurrency: int | None = None) -> None:
        """Until `stop` is set (with `once`: until nothing is due any more)."""
        if concurrency is not None:
            self.concurrency = max(1, concurrency)
        busy: dict[str, Future[None]] = {}
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="job-run") as pool:
            for job_run_id in self.stalled():
                stalled(job_run_id)
            while not stop.is_set():
                for key in [k for k, f in busy.items() if f.done()]:
                    busy.pop(key).result()
                started = self._start_due(pool, busy, execute)
                if once and not started and not busy:
                    return
                if started:
                    continue
                # Until a run ends, this process queues something, or the next look: polling
                # the table while runs go would take their CPU.
                if busy:
                    wait(list(busy.values()), self.poll_seconds, FIRST_COMPLETED)
                else:
                    self._wake.wait(self.poll_seconds)
                    self._wake.clear()
            for future in busy.values():
                future.result()

    def _start_due(self, pool: ThreadPoolExecutor, busy: dict[str, Future[None]],
                   execute: Callable[[int], None]) -> bool:
        with self.engine.connect() as conn:
            due = jobruns.due(conn, self.clock(), limit=50)
            running = {r.connector.lower() for r in jobruns.running(conn)}
        started = False
        for job_run in due:
            key = job_run.connector.lower()
            if len(busy) >= self.concurrency:
                break
            if key in busy or key in running:
                continue  # one run per connector: the next waits its turn
            busy[key] = pool.submit(execute, job_run.id)
            started = True
        return started

    def stalled(self) -> list[int]:
        """Job runs recorded running whose worker is gone."""
        with self.engine.connect() as conn:
            running = jobruns.running(conn)
        host = socket.gethostname()
        gone: list[int] = []
        for job_run in running:
            name, _, pid = (job_run.worker or "").rpartition(":")
            if name == host and pid.isdigit():
                if int(pid) != os.getpid() and not _alive(int(pid)):
                    gone.append(job_run.id)
                continue
            old = job_run.heartbeat_at is None or (
                self.clock() - job_run.heartbeat_at > self.stale_after)
            if old and _lock_free(self.engine, job_run.connector):
                gone.append(job_run.id)
        return gone


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lock_free(engine: sa.Engine, connector: str) -> bool:
    lock = RunLock(engine, connector)
    if not lock.try_acquire():
        return False
    lock.release()
    return True
