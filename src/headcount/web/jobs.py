"""The Jobs page (docs/jobs.md): each configured job — its schedule in words, connectors, last
and next run — and each connector's activity, which administrators deactivate or activate; the
job runs waiting or running, shown above the runs on the Job Execution page; and their API
(`/api/jobs`, `/api/job-runs`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from headcount.config.jobs import Job, job_connectors
from headcount.config.model import Connector, Project
from headcount.errors import NotFound
from headcount.repository import jobruns
from headcount.repository.database import begin_write
from headcount.repository.jobruns import Deactivation, JobRun
from headcount.repository.users import User
from headcount.scheduling import cron
from headcount.web.api.errors import GUARDED, responses
from headcount.web.api.models import Id
from headcount.web.auth import app_state, require
from headcount.web.i18n import gettext as _
from headcount.web.rendering import render

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["jobs"], responses=responses(*GUARDED))
Reader = Annotated[User, Depends(require("read"))]
Admin = Annotated[User, Depends(require("admin"))]


def schedule_in_words(job: Job) -> str:
    """"every day at 02:00 (UTC)", "every 15 minutes", "after Daily" — translated."""
    if job.schedule is None:
        return _("after %(jobs)s", jobs=", ".join(job.after))
    minute, hour, day, month, weekday = job.schedule.split()
    everyday = day == "*" and month == "*"
    if minute.startswith("*/") and hour == "*" and everyday and weekday == "*":
        return _("every %(n)s minutes", n=minute[2:])
    if minute.isdigit() and hour.isdigit() and everyday and weekday == "*":
        return _("every day at %(time)s (%(zone)s)",
                 time=f"{int(hour):02d}:{int(minute):02d}", zone=job.time_zone)
    if minute.isdigit() and hour == "*" and everyday and weekday == "*":
        return _("every hour at minute %(minute)s", minute=int(minute))
    return _("cron %(expression)s (%(zone)s)", expression=job.schedule, zone=job.time_zone)


@dataclass(frozen=True)
class JobRow:
    job: Job
    words: str
    connectors: list[Connector]
    last: JobRun | None
    next_at: datetime | None


def job_rows(project: Project, last: dict[tuple[str, str], JobRun], now: datetime
             ) -> list[JobRow]:
    rows = []
    for job in project.jobs:
        connectors = job_connectors(job, project.connectors)
        lasts = [last[k] for c in connectors
                 if (k := (job.identifier, c.identifier.lower())) in last]
        rows.append(JobRow(
            job, schedule_in_words(job), connectors,
            max(lasts, key=lambda r: r.id) if lasts else None,
            cron.next_fire(job.schedule, job.time_zone, now)
            if job.enabled and job.schedule is not None else None))
    return rows


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request, user: Reader) -> Response:
    state = app_state(request)
    project = state.project()
    with state.engine.connect() as conn:
        last = jobruns.last_by_job(conn)
        off = jobruns.deactivations(conn)
        recent = jobruns.listing(conn, limit=20)
    return render(request, "jobs.html", {
        "jobs": job_rows(project, last, datetime.now(UTC)),
        "connectors": [c for c in project.connectors if c.connections],
        "off": off, "recent": recent, "names": _connector_names(project),
        "job_names": job_names(project)}, user)


def _connector_names(project: Project) -> dict[str, str]:
    return {c.identifier.lower(): c.display_name or c.identifier for c in project.connectors}


def job_names(project: Project) -> dict[str, str]:
    """Each job's name as people read it, by identifier (_job_runs.html)."""
    return {j.identifier: j.label() for j in project.jobs}


def open_job_runs(request: Request) -> tuple[list[JobRun], dict[str, str]]:
    """The job runs queued, running or waiting, for the Job Execution page, and the connectors'
    names."""
    state = app_state(request)
    with state.engine.connect() as conn:
        found = jobruns.listing(conn, states=jobruns.OPEN, limit=100)
    return found, _connector_names(state.project())


def _connector(request: Request, name: str) -> Connector:
    found = app_state(request).project().connector(name)
    if found is None:
        raise NotFound(f"no connector `{name}`")
    return found


@router.post("/connectors/{name}/deactivate")
def deactivate(request: Request, user: Admin, name: str,
               reason: Annotated[str, Form(min_length=1, max_length=2000)]) -> Response:
    connector = _connector(request, name)
    with begin_write(app_state(request).engine) as conn:
        jobruns.deactivate(conn, connector.identifier, user.name, reason, datetime.now(UTC))
    return RedirectResponse("/jobs", status_code=303)


@router.post("/connectors/{name}/activate")
def activate(request: Request, user: Admin, name: str) -> Response:
    connector = _connector(request, name)
    with begin_write(app_state(request).engine) as conn:
        jobruns.activate(conn, connector.identifier, user.name)
    return RedirectResponse("/jobs", status_code=303)


class JobRunOut(BaseModel):
    id: int
    job: str | None
    connector: str
    tasks: list[str]
    mode: str | None
    trigger: str
    actor: str
    state: str
    message: str | None
    scheduled_for: datetime | None
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    run_ids: list[int]
    step: str | None
    parent: int | None


class JobOut(BaseModel):
    identifier: str
    display_name: str | None
    schedule: str | None
    time_zone: str
    in_words: str
    tasks: list[str]
    mode: str | None
    after: list[str]
    enabled: bool
    connectors: list[str]
    next_run: datetime | None
    last_job_run: JobRunOut | None


class DeactivationOut(BaseModel):
    connector: str
    by: str
    at: datetime
    reason: str | None


class JobsOut(BaseModel):
    jobs: list[JobOut]
    deactivated: list[DeactivationOut]


def job_run_out(r: JobRun) -> JobRunOut:
    return JobRunOut(id=r.id, job=r.job, connector=r.connector, tasks=list(r.tasks),
                     mode=r.mode, trigger=r.trigger, actor=r.actor, state=r.state,
                     message=r.message, scheduled_for=r.scheduled_for, queued_at=r.queued_at,
                     started_at=r.started_at, finished_at=r.finished_at, attempts=r.attempts,
                     run_ids=list(r.run_ids), step=r.step, parent=r.parent)


@api.get("/jobs", response_model=JobsOut)
def list_jobs(request: Request, user: Reader) -> JobsOut:
    """The configured jobs: schedule, connectors, last job run and next run; the deactivated
    connectors."""
    state = app_state(request)
    project = state.project()
    with state.engine.connect() as conn:
        last = jobruns.last_by_job(conn)
        off: dict[str, Deactivation] = jobruns.deactivations(conn)
    return JobsOut(jobs=[JobOut(
        identifier=r.job.identifier, display_name=r.job.display_name, schedule=r.job.schedule,
        time_zone=r.job.time_zone, in_words=r.words, tasks=list(r.job.tasks), mode=r.job.mode,
        after=list(r.job.after), enabled=r.job.enabled,
        connectors=[c.identifier for c in r.connectors], next_run=r.next_at,
        last_job_run=job_run_out(r.last) if r.last else None)
        for r in job_rows(project, last, datetime.now(UTC))],
        deactivated=[DeactivationOut(connector=d.connector, by=d.by, at=d.at, reason=d.reason)
                     for d in off.values()])


@api.get("/job-runs", response_model=list[JobRunOut], responses=responses(422))
def list_job_runs(request: Request, user: Reader,
                  state: Annotated[str | None, Query(max_length=32)] = None,
                  connector: Annotated[str | None, Query(max_length=128)] = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[JobRunOut]:
    """Job runs, newest first; `state=open` for those queued, running or waiting."""
    states = jobruns.OPEN if state == "open" else (state,) if state else None
    with app_state(request).engine.connect() as conn:
        found = jobruns.listing(conn, states=states, connector=connector, limit=limit)
    return [job_run_out(r) for r in found]


@api.get("/job-runs/{job_run_id}", response_model=JobRunOut, responses=responses(404, 422))
def get_job_run(request: Request, user: Reader, job_run_id: Id) -> JobRunOut:
    with app_state(request).engine.connect() as conn:
        found = jobruns.get(conn, job_run_id)
    if found is None:
        raise NotFound(f"no job run {job_run_id}")
    return job_run_out(found)
