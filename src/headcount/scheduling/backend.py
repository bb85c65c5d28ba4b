"""The queue a job run waits in until a worker takes it. The `job_runs` row is the truth the UI
reads; a backend only carries ids. Two siblings: the local one (SQLite, one process: the table
itself is the queue, scheduling/local.py) and PostgreSQL's on procrastinate
(scheduling/postgres.py), chosen by the database URL."""

from __future__ import annotations

import importlib
import threading
import weakref
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa


class QueueBackend(Protocol):
    def enqueue(self, job_run_id: int, connector: str, not_before: datetime | None) -> None: ...

    def cancel(self, job_run_ids: Sequence[int]) -> None: ...   # queued ones, not started

    # once: until none is due; concurrency: job runs carried out at once (None: the backend's
    # own setting).
    def serve(self, execute: Callable[[int], None], stalled: Callable[[int], None],
              stop: threading.Event, once: bool = False,
              concurrency: int | None = None) -> None: ...


# One PostgreSQL backend per engine: it holds a connection pool (for enqueue and cancel), which
# a backend made per call would open again and leave open at every job run queued.
_backends: weakref.WeakKeyDictionary[sa.Engine, QueueBackend] = weakref.WeakKeyDictionary()
_guard = threading.Lock()


def backend_for(engine: sa.Engine) -> QueueBackend:
    """The local queue for SQLite; procrastinate's for PostgreSQL (scheduling/postgres.py),
    one per engine, whose connections close with the engine's (`engine.dispose()`)."""
    from headcount.scheduling.local import LocalQueue

    if engine.dialect.name != "postgresql":
        return LocalQueue(engine)
    with _guard:
        found = _backends.get(engine)
        if found is None:
            # PostgreSQL's backend is a sibling module exposing `backend(engine)`.
            postgres = importlib.import_module("headcount.scheduling.postgres")
            found = postgres.backend(engine)
            assert found is not None
            _backends[engine] = found
            close: Callable[[], None] | None = getattr(found, "close", None)
            if close is not None:
                sa.event.listen(engine, "engine_disposed", lambda _: close())
        return found
