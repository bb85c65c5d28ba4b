"""One run per connector at a time (SPEC §4.5). The process that runs a connector's job holds a
lock for the whole run — a file lock next to an SQLite database, an advisory lock on PostgreSQL.
The operating system or the server frees it when the process dies, however it dies: a run still
recorded as running while its lock is free was interrupted."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa

from headcount.repository.database import is_sqlite
from headcount.repository.runs import refuse_running


class RunLock:
    def __init__(self, engine: sa.Engine, connector: str) -> None:
        self.engine = engine
        self.name = connector.lower()
        self._fd: int | None = None
        self._conn: Any = None

    def try_acquire(self) -> bool:
        if is_sqlite(self.engine):
            return self._try_file()
        raw = self.engine.raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        driver.autocommit = True
        with driver.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))",
                           (f"headcount-run:{self.name}",))
            row = cursor.fetchone()
        if row is None or not row[0]:
            # Not back to the pool: it is in autocommit, and the next transaction drawn from
            # the pool would silently commit statement by statement.
            raw.invalidate()
            return False
        self._conn = raw
        return True

    def _try_file(self) -> bool:
        database = self.engine.url.database
        base = Path(database) if database and database != ":memory:" else Path(".headcount")
        path = base.with_name(f"{base.name}.{self.name}.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        if self._conn is not None:
            # Unlocked before the session closes: a closed socket frees the lock only once the
            # server's backend has noticed, and the next run of the connector, started at once,
            # would be refused as "running" meanwhile. The pool must not reuse the connection.
            # A connection that broke has lost its session, and the lock with it.
            with contextlib.suppress(Exception), \
                    self._conn.driver_connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))",
                               (f"headcount-run:{self.name}",))
            self._conn.invalidate()
            self._conn = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


# A person waits this long for a run of the same connector (another edit, a task) before being
# refused.
LOCK_WAIT_SECONDS = 5.0


@contextmanager
def connector_lock(engine: sa.Engine, connector: str) -> Iterator[None]:
    """The connector's run lock (one run at a time), waited for a few seconds: edits are short."""
    lock = RunLock(engine, connector)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while not lock.try_acquire():
        if time.monotonic() > deadline:
            with engine.connect() as conn:
                raise refuse_running(conn, connector)
        time.sleep(0.05)
    with lock:
        yield
