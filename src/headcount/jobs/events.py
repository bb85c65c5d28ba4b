"""Telling of job events (issue 13): once a run's outcome is committed, its event (blocked,
failed, warnings) is written to the outbox in a transaction of its own and sent; a stale
source is announced once per spell. A notification that cannot leave (a relay down, a secret
missing) stays in the outbox for the next delivery and never changes the run."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from headcount.config.model import Project
from headcount.notifications import job_events
from headcount.project import ProjectContext
from headcount.repository import runs
from headcount.repository.database import begin_write
from headcount.workflows.delivery import Delivered, deliver

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Announced:
    """What `announce_stale` found and wrote."""

    connectors: list[str]  # newly announced as stale
    already: list[str]  # stale, in a spell announced before
    delivered: Delivered | None


def announce_run(ctx: ProjectContext, project: Project, run_id: int,
                 now: datetime | None = None,
                 environ: Mapping[str, str] | None = None) -> Delivered | None:
    """Write the event of run `run_id`, if it makes one, and send what is pending. Never
    raises: what did not leave is noted in the run's log and waits in the outbox."""
    if not job_events.may_tell(project):
        return None  # nothing configured: a run pays no query for it
    at = (now or datetime.now(UTC)).astimezone(UTC)
    try:
        with begin_write(ctx.engine) as conn:
            event = job_events.run_event(conn, project, run_id, at)
            if event is None or not job_events.write(conn, project, [event]):
                return None
        done = _deliver(ctx.engine, project, at, ctx.directory, environ)
    except Exception as exc:  # a notification never fails the run it tells of
        _note(ctx.engine, run_id, f"notifications: {exc}")
        return None
    if done.errors:
        _note(ctx.engine, run_id, "notifications kept for the next delivery: "
                                  + "; ".join(done.errors))
    return done


def announce_stale(engine: sa.Engine, project: Project, now: datetime, *,
                   folder: Path | None = None, environ: Mapping[str, str] | None = None
                   ) -> Announced:
    """Announce each connector whose source is stale at `now`, once per stale spell (again
    only after it was fresh in between), then send what is pending. The scheduler calls it
    periodically; `headcount notify-stale` from cron. A delivery that fails raises nothing:
    its notices wait in the outbox (`Announced.delivered` says why)."""
    at = now.astimezone(UTC)
    where = folder or Path(".")
    if not job_events.may_tell(project):
        return Announced([], [], None)
    with engine.connect() as conn:
        stale = job_events.stale_connectors(conn, project, at, where)
    fresh, already = [], []
    for found in stale:
        name = found.connector.identifier
        try:
            with begin_write(engine) as conn:
                runs.ensure_connector(conn, name)
        except sa.exc.IntegrityError:
            pass  # another process recorded the connector at the same moment
        with begin_write(engine) as conn:
            # Two schedulers at once: the second waits here, then sees the first's rows.
            runs.lock_connector(conn, name)
            if found.spell in job_events.announced_spells(conn, name):
                already.append(name)
                continue
            if job_events.write(conn, project, [job_events.stale_event(project, found, at)]):
                fresh.append(name)
    delivered = None
    if fresh:
        try:
            delivered = _deliver(engine, project, at, where, environ)
        except Exception as exc:  # kept in the outbox: the next delivery retries
            log.warning("stale sources announced, not delivered: %s", exc)
            delivered = Delivered(0, 0, 0, [str(exc)])
    return Announced(fresh, already, delivered)


def _deliver(engine: sa.Engine, project: Project, at: datetime, folder: Path,
             environ: Mapping[str, str] | None) -> Delivered:
    return deliver(engine, project, at, os.environ if environ is None else environ, folder)


def _note(engine: sa.Engine, run_id: int, message: str) -> None:
    try:
        with begin_write(engine) as conn:
            runs.add_log(conn, run_id, "warning", message)
    except Exception as exc:  # the database itself is gone: say it, go on
        log.warning("run %s: %s (%s)", run_id, message, exc)
