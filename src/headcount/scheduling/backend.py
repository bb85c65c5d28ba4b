"""The queue a job run waits in until a worker takes it. The `job_runs` row is the truth the UI
reads; a backend only carries ids. Two siblings: the local one (SQLite, one process: the table
itself is the queue, scheduling/local.py) and PostgreSQL's on procrastinate
(scheduling/postgres.py), chosen by the database URL."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa


class QueueBackend(Protocol):
    def enqueue(self, job_run_id: int, connector: str, not_before: datetime | None) -> None: ...

    def cancel(self, job_run_ids: Sequence[int]) -> None: ...   # queued ones, not started

    def serve(self, execute: Callable[[int], None], stalled: Callable[[int], None],
              stop: threading.Event, once: bool = False) -> None: ...  # once: until none is due


def backend_for(engine: sa.Engine) -> QueueBackend:
    """The local queue for SQLite; procrastinate for PostgreSQL once it is there (issue 13's
    PostgreSQL part), the local queue until then."""
    from headcount.scheduling.local import LocalQueue

    if engine.dialect.name == "postgresql":
        # PostgreSQL's backend is a sibling module exposing `backend(engine) -> QueueBackend`.
        try:
            postgres = importlib.import_module("headcount.scheduling.postgres")
        except ImportError:
            return LocalQueue(engine)
        found: QueueBackend = postgres.backend(engine)
        return found
    return LocalQueue(engine)
