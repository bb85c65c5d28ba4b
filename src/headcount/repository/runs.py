"""Run records (SPEC §4.5, §4.6): the job result of every synchronization, its log, its set-aside
rows; one run per connector at a time; runs left 'running' by a dead process are marked
interrupted at the next start."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from headcount.errors import NotFound, RunRefused
from headcount.repository.schema import audit_log, connector_state, run_logs, runs

RUNNING = "running"
SUCCEEDED = "succeeded"
WARNINGS = "succeeded with warnings"
BLOCKED = "blocked"
FAILED = "failed"
INTERRUPTED = "interrupted"
CANCELLED = "cancelled"
STATES = (RUNNING, SUCCEEDED, WARNINGS, BLOCKED, FAILED, INTERRUPTED, CANCELLED)


def now() -> datetime:
    return datetime.now(UTC)


WAITED = "waited"


@dataclass
class RunRecord:
    id: int
    connector: str
    mode: str
    requested_mode: str | None
    state: str
    dry_run: bool
    forced: bool
    reason: str | None
    message: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    base_version: int | None
    counters: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: sa.Row[Any]) -> RunRecord:
        m = row._mapping
        return cls(
            id=m["id"], connector=m["connector"], mode=m["mode"],
            requested_mode=m["requested_mode"], state=m["state"], dry_run=bool(m["dry_run"]),
            forced=bool(m["forced"]), reason=m["reason"], message=m["message"],
            created_at=m["created_at"], started_at=m["started_at"],
            finished_at=m["finished_at"], base_version=m["base_version"],
            counters=json.loads(m["counters"] or "{}"), timings=json.loads(m["timings"] or "{}"),
            files=json.loads(m["files"] or "[]"),
        )

    @property
    def duration(self) -> float | None:
        """Seconds of work: a resumed run does not count the time it waited blocked."""
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds() - self.waited
        return None

    @property
    def waited(self) -> float:
        """Seconds a resumed run waited blocked for a person (timings' `waited`)."""
        return float(self.timings.get(WAITED, 0.0))

    @property
    def steps(self) -> dict[str, float]:
        """Seconds per step (export, prepare, …, resume, policy), the wait left out."""
        return {k: v for k, v in self.timings.items() if k != WAITED}


def ensure_connector(conn: sa.Connection, connector: str) -> None:
    exists = conn.execute(sa.select(connector_state.c.connector)
                          .where(connector_state.c.connector == connector)).first()
    if exists is None:
        conn.execute(sa.insert(connector_state).values(connector=connector, version=0))


def lock_connector(conn: sa.Connection, connector: str) -> int:
    """Serialise writers on one connector (a row lock on PostgreSQL, the write lock on SQLite,
    taken by the first statement being a write). Returns the connector's version."""
    conn.execute(sa.update(connector_state).where(connector_state.c.connector == connector)
                 .values(version=connector_state.c.version))
    version = conn.execute(sa.select(connector_state.c.version)
                           .where(connector_state.c.connector == connector)).scalar_one()
    return int(version)


def running_run(conn: sa.Connection, connector: str) -> int | None:
    row = conn.execute(sa.select(runs.c.id).where(runs.c.connector == connector,
                                                  runs.c.state == RUNNING)
                       .order_by(runs.c.id.desc())).first()
    return None if row is None else int(row[0])


def refuse_running(conn: sa.Connection, connector: str) -> RunRefused:
    """The error for a run that cannot start because the connector's lock is held."""
    run_id = running_run(conn, connector)
    which = f"run {run_id}" if run_id else "a run"
    return RunRefused(f"{which} of connector {connector} is running; one run per connector "
                      "at a time")


def start_run(conn: sa.Connection, connector: str, mode: str, requested_mode: str | None,
              dry_run: bool, forced: bool, reason: str | None, deployment_id: int | None
              ) -> tuple[int, list[int]]:
    """Record a new run as running. The caller holds the connector's RunLock: any run still
    recorded as running was interrupted. Returns the run id and the interrupted runs' ids."""
    version = lock_connector(conn, connector)
    interrupted = [int(r) for r in conn.execute(sa.select(runs.c.id).where(
        runs.c.connector == connector, runs.c.state == RUNNING)).scalars()]
    if interrupted:
        conn.execute(sa.update(runs).where(runs.c.id.in_(interrupted)).values(
            state=INTERRUPTED, finished_at=now(),
            message="interrupted: its process ended before the run finished; "
                    "nothing it had not committed was applied"))
    stamp = now()
    run_id = conn.execute(sa.insert(runs).values(
        connector=connector, mode=mode, requested_mode=requested_mode, state=RUNNING,
        dry_run=dry_run, forced=forced, reason=reason, created_at=stamp, started_at=stamp,
        pid=os.getpid(), host=socket.gethostname(), base_version=version,
        deployment_id=deployment_id, counters="{}", timings="{}", files="[]",
    ).returning(runs.c.id)).scalar_one()
    for old in interrupted:
        add_log(conn, old, "error", f"marked interrupted at the start of run {run_id}")
    return int(run_id), interrupted


def finish_run(conn: sa.Connection, run_id: int, state: str, message: str | None = None,
               **values: Any) -> None:
    encoded = {k: (json.dumps(v, ensure_ascii=False) if k in ("counters", "timings", "files")
                   else v) for k, v in values.items()}
    conn.execute(sa.update(runs).where(runs.c.id == run_id).values(
        state=state, message=message, finished_at=now(), **encoded))


def add_log(conn: sa.Connection, run_id: int, level: str, message: str) -> None:
    conn.execute(sa.insert(run_logs).values(run_id=run_id, at=now(), level=level,
                                            message=message))


def add_logs(conn: sa.Connection, run_id: int, lines: list[tuple[str, str]]) -> None:
    if lines:
        stamp = now()
        conn.execute(sa.insert(run_logs), [
            {"run_id": run_id, "at": stamp, "level": lvl, "message": msg} for lvl, msg in lines])


def get_run(conn: sa.Connection, run_id: int) -> RunRecord:
    row = conn.execute(sa.select(runs).where(runs.c.id == run_id)).first()
    if row is None:
        raise NotFound(f"no run {run_id}")
    return RunRecord.from_row(row)


def list_runs(conn: sa.Connection, connector: str | None = None, limit: int = 50,
              offset: int = 0) -> list[RunRecord]:
    query = sa.select(runs).order_by(runs.c.id.desc()).limit(limit).offset(offset)
    if connector:
        query = query.where(runs.c.connector == connector)
    return [RunRecord.from_row(r) for r in conn.execute(query)]


def logs(conn: sa.Connection, run_id: int) -> list[tuple[datetime, str, str]]:
    rows = conn.execute(sa.select(run_logs.c.at, run_logs.c.level, run_logs.c.message)
                        .where(run_logs.c.run_id == run_id).order_by(run_logs.c.id)).all()
    return [(a, b, c) for a, b, c in rows]


def audit(conn: sa.Connection, actor: str, action: str, target: str, reason: str | None) -> None:
    conn.execute(sa.insert(audit_log).values(at=now(), actor=actor, action=action,
                                             target=target, reason=reason))
