"""The scheduler: at each tick, every enabled job whose cron schedule fired is queued once per
connector it runs for — the unique (job, connector, scheduled_for) of `job_runs` says "once",
whatever the number of threads or processes ticking. A tick missed while nothing ran is caught
up once (the newest one, not every missed one); a job never run before starts with its first
tick after the scheduler started. Jobs that run `after` another are queued for the same tick
once it succeeded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from headcount.config.jobs import Job, job_connectors
from headcount.config.model import Connector, Project
from headcount.project import ProjectContext
from headcount.repository import jobruns
from headcount.scheduling import cron
from headcount.scheduling.backend import QueueBackend
from headcount.scheduling.request import CATCH_UP, SCHEDULE, JobRequest
from headcount.scheduling.submission import record

ACTOR = "scheduler"


@dataclass
class Scheduler:
    ctx: ProjectContext
    # When it started: a job that never ran does not fire for a tick before it.
    started: datetime
    backend: QueueBackend | None = None

    def tick(self, now: datetime) -> list[int]:
        """Queue what is due at `now`; the ids of the job runs recorded (skipped ones too)."""
        _, project = self.ctx.deployed()
        made = [i for job in project.jobs if job.enabled and job.schedule is not None
                for i in self._fire(project, job, now)]
        return made + self.follow(project, now)

    def _fire(self, project: Project, job: Job, now: datetime) -> list[int]:
        assert job.schedule is not None
        fired = cron.previous_fire(job.schedule, job.time_zone, now)
        before = cron.previous_fire(job.schedule, job.time_zone, fired - timedelta(seconds=1))
        with self.ctx.engine.connect() as conn:
            latest = jobruns.latest_ticks(conn)
        made: list[int] = []
        for connector in job_connectors(job, project.connectors):
            last = latest.get((job.identifier, connector.identifier.lower()))
            if last is not None and last >= fired:
                continue
            if last is None and fired < self.started:
                continue
            # A tick between the last recorded and this one was missed: this one catches up.
            trigger = CATCH_UP if last is not None and before > last else SCHEDULE
            made += self._queue(job, connector, fired, trigger, now)
        return made

    def _queue(self, job: Job, connector: Connector, tick: datetime, trigger: str,
               now: datetime, refused: str | None = None) -> list[int]:
        request = JobRequest(connector.identifier, tuple(job.tasks), job.mode, job.identifier,
                             trigger, ACTOR, tick)
        message = refused or self._inactive(connector)
        state = jobruns.SKIPPED if message else jobruns.QUEUED
        made = record(self.ctx, request, now, self.backend, state, message)
        return [made] if made is not None else []

    def _inactive(self, connector: Connector) -> str | None:
        if not connector.active:
            return (f"connector {connector.identifier} is deactivated (active: false in its "
                    "configuration)")
        with self.ctx.engine.connect() as conn:
            off = jobruns.deactivations(conn).get(connector.identifier.lower())
        return off.message() if off is not None else None

    def follow(self, project: Project, now: datetime) -> list[int]:
        """Queue the jobs that run `after` others, for the newest tick of the first job they
        follow, once every job they follow succeeded for it (a follower whose leader did not
        succeed is recorded skipped, saying why)."""
        made: list[int] = []
        with self.ctx.engine.connect() as conn:
            latest = jobruns.latest_ticks(conn)
        for job in project.jobs:
            if not job.enabled or not job.after:
                continue
            ticks = [t for (j, _), t in latest.items() if j.lower() == job.after[0].lower()]
            if not ticks:
                continue
            tick = max(ticks)
            for connector in job_connectors(job, project.connectors):
                last = latest.get((job.identifier, connector.identifier.lower()))
                if last is not None and last >= tick:
                    continue
                verdict = self._leaders(project, job, connector, tick)
                if verdict is None:
                    continue
                made += self._queue(job, connector, tick, SCHEDULE, now,
                                    verdict or None)
        return made

    def _leaders(self, project: Project, job: Job, connector: Connector, tick: datetime
                 ) -> str | None:
        """None: wait; "": every job followed succeeded; otherwise why the follower skips."""
        with self.ctx.engine.connect() as conn:
            for name in job.after:
                leader = project.job(name)
                identifier = leader.identifier if leader is not None else name
                outcomes = jobruns.tick_outcomes(conn, identifier, tick)
                mine = outcomes.get(connector.identifier.lower())
                states = [mine] if mine is not None else list(outcomes.values())
                if not states or any(s in jobruns.OPEN for s in states):
                    return None
                bad = [s for s in states if s not in jobruns.DONE_WELL]
                if bad:
                    return f"after {identifier}, which ended {bad[0]}"
        return ""
