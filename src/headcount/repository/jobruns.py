"""Job runs (SPEC §11, issue 13): one execution of a job for one connector, from queued to its
outcome. Everything here takes `now`: the scheduler's clock is the caller's."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from headcount.repository.database import begin_write
from headcount.repository.runs import audit
from headcount.repository.schema import connector_activity, job_runs

QUEUED = "queued"
RUNNING = "running"
WAITING = "waiting"      # for a remote agent's delivery
SUCCEEDED = "succeeded"
WARNINGS = "warnings"
BLOCKED = "blocked"
FAILED = "failed"
SKIPPED = "skipped"
CANCELLED = "cancelled"
INTERRUPTED = "interrupted"
STATES = (QUEUED, RUNNING, WAITING, SUCCEEDED, WARNINGS, BLOCKED, FAILED, SKIPPED, CANCELLED,
          INTERRUPTED)
OPEN = (QUEUED, RUNNING, WAITING)
# A dependent job (`after:`) runs once the job it follows ended in one of these for the tick.
DONE_WELL = (SUCCEEDED, WARNINGS)


@dataclass(frozen=True)
class JobRun:
    id: int
    job: str | None
    connector: str
    tasks: tuple[str, ...]
    mode: str | None
    trigger: str
    actor: str
    scheduled_for: datetime | None
    queued_at: datetime
    not_before: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    state: str
    message: str | None
    attempts: int
    run_ids: tuple[int, ...]
    worker: str | None
    heartbeat_at: datetime | None
    step: str | None
    delivery: int | None
    parent: int | None
    force: bool
    reason: str | None


def _job_run(row: sa.Row[Any]) -> JobRun:
    m = row._mapping
    return JobRun(
        id=int(m["id"]), job=m["job"], connector=str(m["connector"]),
        tasks=tuple(json.loads(m["tasks"])), mode=m["mode"], trigger=str(m["trigger"]),
        actor=str(m["actor"]), scheduled_for=_aware(m["scheduled_for"]),
        queued_at=_aware(m["queued_at"]) or m["queued_at"], not_before=_aware(m["not_before"]),
        started_at=_aware(m["started_at"]), finished_at=_aware(m["finished_at"]),
        state=str(m["state"]), message=m["message"], attempts=int(m["attempts"]),
        run_ids=tuple(json.loads(m["run_ids"])), worker=m["worker"],
        heartbeat_at=_aware(m["heartbeat_at"]), step=m["step"], delivery=m["delivery"],
        parent=m["parent"], force=bool(m["force"]), reason=m["reason"])


def _aware(value: datetime | None) -> datetime | None:
    # SQLite gives naive datetimes back; everything stored is UTC.
    from datetime import UTC

    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class NewJobRun:
    connector: str
    tasks: tuple[str, ...]
    mode: str | None
    trigger: str
    actor: str
    job: str | None = None
    scheduled_for: datetime | None = None
    not_before: datetime | None = None
    state: str = QUEUED
    message: str | None = None
    delivery: int | None = None
    parent: int | None = None
    force: bool = False
    reason: str | None = None
    attempts: int = 0


def insert(engine: sa.Engine, new: NewJobRun, now: datetime) -> int | None:
    """Record a job run; None when its tick (job, connector, scheduled_for) is already recorded —
    another scheduler, thread or an earlier tick got there first."""
    values = dict(
        job=new.job, connector=new.connector, tasks=json.dumps(list(new.tasks)), mode=new.mode,
        trigger=new.trigger, actor=new.actor, scheduled_for=new.scheduled_for, queued_at=now,
        not_before=new.not_before, state=new.state, message=new.message,
        attempts=new.attempts, run_ids="[]", delivery=new.delivery, parent=new.parent,
        force=new.force, reason=new.reason,
        finished_at=now if new.state not in OPEN else None)
    try:
        with begin_write(engine) as conn:
            return int(conn.execute(sa.insert(job_runs).values(**values)
                                    .returning(job_runs.c.id)).scalar_one())
    except sa.exc.IntegrityError:
        if new.scheduled_for is None:
            raise
        return None


def get(conn: sa.Connection, job_run_id: int) -> JobRun | None:
    row = conn.execute(sa.select(job_runs).where(job_runs.c.id == job_run_id)).first()
    return _job_run(row) if row is not None else None


def get_one(engine: sa.Engine, job_run_id: int) -> JobRun | None:
    with engine.connect() as conn:
        return get(conn, job_run_id)


def listing(conn: sa.Connection, states: Iterable[str] | None = None,
            connector: str | None = None, limit: int = 50) -> list[JobRun]:
    """Newest first."""
    query = sa.select(job_runs).order_by(job_runs.c.id.desc()).limit(limit)
    if states is not None:
        query = query.where(job_runs.c.state.in_(list(states)))
    if connector is not None:
        query = query.where(sa.func.lower(job_runs.c.connector) == connector.lower())
    return [_job_run(r) for r in conn.execute(query)]


def coalescing(conn: sa.Connection, connector: str, trigger: str) -> JobRun | None:
    """A queued job run of `connector` and `trigger` not yet started: a new request joins it."""
    row = conn.execute(sa.select(job_runs).where(
        sa.func.lower(job_runs.c.connector) == connector.lower(),
        job_runs.c.trigger == trigger, job_runs.c.state == QUEUED,
    ).order_by(job_runs.c.id).limit(1)).first()
    return _job_run(row) if row is not None else None


def due(conn: sa.Connection, now: datetime, limit: int = 20) -> list[JobRun]:
    """Queued job runs a worker may take now, oldest first."""
    return [_job_run(r) for r in conn.execute(sa.select(job_runs).where(
        job_runs.c.state == QUEUED,
        sa.or_(job_runs.c.not_before.is_(None), job_runs.c.not_before <= now),
    ).order_by(job_runs.c.id).limit(limit))]


def claim(engine: sa.Engine, job_run_id: int, worker: str, now: datetime) -> JobRun | None:
    """queued → running, only if it is still queued and no other job run of its connector runs:
    one worker takes it, one run per connector. None: someone else has it, or it was cancelled."""
    other = job_runs.alias("other")
    busy = sa.exists().where(other.c.state == RUNNING,
                             sa.func.lower(other.c.connector) == sa.func.lower(
                                 job_runs.c.connector))
    with begin_write(engine) as conn:
        done = conn.execute(sa.update(job_runs).where(
            job_runs.c.id == job_run_id, job_runs.c.state == QUEUED, ~busy,
        ).values(state=RUNNING, started_at=now, heartbeat_at=now, worker=worker,
                 attempts=job_runs.c.attempts + 1, message=None, step=None))
        if done.rowcount != 1:
            return None
        return get(conn, job_run_id)


def beat(engine: sa.Engine, job_run_id: int, now: datetime, step: str | None = None) -> None:
    """The worker is alive (and, with `step`, where the run is): the UI shows it live."""
    values: dict[str, Any] = {"heartbeat_at": now}
    if step is not None:
        values["step"] = step
    with begin_write(engine) as conn:
        conn.execute(sa.update(job_runs).where(job_runs.c.id == job_run_id).values(**values))


def add_run(engine: sa.Engine, job_run_id: int, run_id: int) -> None:
    with begin_write(engine) as conn:
        current = conn.execute(sa.select(job_runs.c.run_ids)
                               .where(job_runs.c.id == job_run_id)).scalar_one()
        ids = [*json.loads(current), run_id]
        conn.execute(sa.update(job_runs).where(job_runs.c.id == job_run_id)
                     .values(run_ids=json.dumps(ids)))


def finish(engine: sa.Engine, job_run_id: int, state: str, message: str | None,
           now: datetime) -> None:
    with begin_write(engine) as conn:
        conn.execute(sa.update(job_runs).where(job_runs.c.id == job_run_id).values(
            state=state, message=message, finished_at=now, heartbeat_at=now))


def interrupt(engine: sa.Engine, job_run_id: int, message: str, now: datetime) -> bool:
    """running → interrupted, only if it still runs: of the workers that find it abandoned, one
    hands it back (and retries it). False: another did, or it ended meanwhile."""
    with begin_write(engine) as conn:
        done = conn.execute(sa.update(job_runs).where(
            job_runs.c.id == job_run_id, job_runs.c.state == RUNNING).values(
            state=INTERRUPTED, message=message, finished_at=now))
    return done.rowcount == 1


def answer(engine: sa.Engine, waiting_id: int, delivered_id: int, state: str,
           now: datetime) -> None:
    """A job run waiting for an agent's delivery ends as the job run that applied it."""
    with begin_write(engine) as conn:
        conn.execute(sa.update(job_runs).where(
            job_runs.c.id == waiting_id, job_runs.c.state == WAITING).values(
            state=state, finished_at=now, heartbeat_at=now,
            message=f"delivered; applied by job run {delivered_id}"))


def requeue(engine: sa.Engine, job_run_id: int, not_before: datetime | None,
            message: str | None) -> None:
    """Back to the queue for another attempt (its attempts are kept)."""
    with begin_write(engine) as conn:
        conn.execute(sa.update(job_runs).where(job_runs.c.id == job_run_id).values(
            state=QUEUED, not_before=not_before, message=message, worker=None,
            finished_at=None, step=None))


def cancel_queued_incrementals(engine: sa.Engine, connector: str, by: int,
                               now: datetime) -> list[int]:
    """A complete run makes the queued incrementals of its connector pointless: cancel them,
    naming it. Returns the ids cancelled (the backend drops them too)."""
    with begin_write(engine) as conn:
        ids = [int(i) for i in conn.execute(sa.select(job_runs.c.id).where(
            sa.func.lower(job_runs.c.connector) == connector.lower(),
            job_runs.c.state == QUEUED, job_runs.c.mode == "incremental",
            job_runs.c.id != by)).scalars()]
        if ids:
            conn.execute(sa.update(job_runs).where(job_runs.c.id.in_(ids),
                                                   job_runs.c.state == QUEUED).values(
                state=CANCELLED, finished_at=now,
                message=f"cancelled by job run {by} (a complete run of {connector})"))
    return ids


def running(conn: sa.Connection) -> list[JobRun]:
    return [_job_run(r) for r in conn.execute(
        sa.select(job_runs).where(job_runs.c.state == RUNNING).order_by(job_runs.c.id))]


def at_tick(conn: sa.Connection, job: str, connector: str,
            scheduled_for: datetime) -> JobRun | None:
    row = conn.execute(sa.select(job_runs).where(
        job_runs.c.job == job, sa.func.lower(job_runs.c.connector) == connector.lower(),
        job_runs.c.scheduled_for == scheduled_for)).first()
    return _job_run(row) if row is not None else None


def tick_outcomes(conn: sa.Connection, job: str, scheduled_for: datetime) -> dict[str, str]:
    """Lower-cased connector → the state a job reached for one tick, its retries followed: a
    failed attempt retried successfully counts as a success."""
    rows = [_job_run(r) for r in conn.execute(sa.select(job_runs).where(
        job_runs.c.job == job, job_runs.c.scheduled_for == scheduled_for))]
    out: dict[str, str] = {}
    for first in rows:
        current = first
        while current.state in (FAILED, INTERRUPTED):
            row = conn.execute(sa.select(job_runs).where(
                job_runs.c.parent == current.id, job_runs.c.trigger == "retry")).first()
            if row is None:
                break
            current = _job_run(row)
        out[first.connector.lower()] = current.state
    return out


def latest_ticks(conn: sa.Connection) -> dict[tuple[str, str], datetime]:
    """(job, lower-cased connector) → the newest tick recorded: where catch-up resumes."""
    rows = conn.execute(sa.select(job_runs.c.job, sa.func.lower(job_runs.c.connector),
                                  sa.func.max(job_runs.c.scheduled_for))
                        .where(job_runs.c.job.is_not(None),
                               job_runs.c.scheduled_for.is_not(None))
                        .group_by(job_runs.c.job, sa.func.lower(job_runs.c.connector)))
    return {(str(j), str(c)): _aware(t) or t for j, c, t in rows}


def last_by_job(conn: sa.Connection) -> dict[tuple[str, str], JobRun]:
    """(job, lower-cased connector) → its newest job run."""
    newest = (sa.select(sa.func.max(job_runs.c.id))
              .where(job_runs.c.job.is_not(None))
              .group_by(job_runs.c.job, sa.func.lower(job_runs.c.connector)))
    rows = conn.execute(sa.select(job_runs).where(job_runs.c.id.in_(newest)))
    return {(str(r.job), str(r.connector).lower()): _job_run(r) for r in rows}


@dataclass(frozen=True)
class Deactivation:
    connector: str
    by: str
    at: datetime
    reason: str | None

    def message(self) -> str:
        why = f": {self.reason}" if self.reason else ""
        return (f"connector {self.connector} is deactivated (by {self.by} at "
                f"{self.at:%Y-%m-%d %H:%M} UTC{why})")


def deactivations(conn: sa.Connection) -> dict[str, Deactivation]:
    """Lower-cased connector → who deactivated it."""
    return {str(r.connector).lower(): Deactivation(
        str(r.connector), str(r.deactivated_by), _aware(r.deactivated_at) or r.deactivated_at,
        r.reason) for r in conn.execute(sa.select(connector_activity))}


def deactivate(conn: sa.Connection, connector: str, actor: str, reason: str | None,
               now: datetime) -> None:
    conn.execute(sa.delete(connector_activity).where(
        sa.func.lower(connector_activity.c.connector) == connector.lower()))
    conn.execute(sa.insert(connector_activity).values(
        connector=connector, deactivated_by=actor, deactivated_at=now, reason=reason))
    audit(conn, actor, "connector.deactivate", connector, reason)


def activate(conn: sa.Connection, connector: str, actor: str) -> bool:
    """False when it was not deactivated."""
    done = conn.execute(sa.delete(connector_activity).where(
        sa.func.lower(connector_activity.c.connector) == connector.lower()))
    if done.rowcount:
        audit(conn, actor, "connector.activate", connector, None)
    return bool(done.rowcount)


def cancel(engine: sa.Engine, ids: Sequence[int], message: str, now: datetime) -> None:
    with begin_write(engine) as conn:
        conn.execute(sa.update(job_runs).where(job_runs.c.id.in_(list(ids)),
                                               job_runs.c.state == QUEUED)
                     .values(state=CANCELLED, message=message, finished_at=now))
