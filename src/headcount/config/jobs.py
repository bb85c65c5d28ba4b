"""The `jobs:` section (SPEC §11, issue 13): jobs that run themselves — tasks chained for
connectors on a cron schedule, or after another job — and the checks across jobs and connectors
that a schema cannot express."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from headcount.config.base import ConfigModel, Identifier
from headcount.config.yamlsource import PathKey

if TYPE_CHECKING:
    from headcount.config.model import Connector, Project

Task = Literal["synchronize", "evaluate"]
Problem = tuple[PathKey, str]


class Retry(ConfigModel):
    """What happens when a job run fails or its worker dies."""

    attempts: int = Field(1, ge=1, le=20, description="Attempts in all, the first included.")
    delay_minutes: float = Field(5, ge=0, description="Wait before each new attempt.")


class Job(ConfigModel):
    identifier: Identifier
    display_name: str | None = None
    schedule: str | None = Field(
        None, description="When it runs: a cron expression of 5 fields (minute hour day "
                          "month weekday), read in `time_zone`. None: only `after` another job.")
    time_zone: str = Field("UTC", description="The zone the schedule is read in.")
    tasks: list[Task] = Field(
        ["synchronize"],
        description="What each job run does, in order: `synchronize` (export, prepare, "
                    "synchronize, policy, fulfill) and `evaluate` (the date evaluation).")
    mode: Literal["complete", "incremental"] | None = Field(
        None, description="Synchronize's mode; none: the engine chooses (initial, then "
                          "complete).")
    connectors: list[str] | None = Field(
        None, description="The connectors it runs for; none: every connector whose own "
                          "`jobs:` list, if it has one, names this job.")
    after: list[str] = Field(
        default_factory=list,
        description="Jobs it follows: for a tick of those jobs, it runs (for the same tick) "
                    "once each of them succeeded for its connectors.")
    retry: Retry = Field(default_factory=Retry)
    enabled: bool = Field(True, description="False: the scheduler never fires it.")

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise PydanticCustomError(
                "cron", "`{value}` is not a cron expression of 5 fields (minute hour day "
                        "month weekday), e.g. `0 2 * * *`", {"value": value})
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError("time_zone", "unknown time zone `{value}`",
                                      {"value": value}) from None
        return value

    def label(self) -> str:
        return self.display_name or self.identifier


def job_connectors(job: Job, connectors: list[Connector]) -> list[Connector]:
    """The connectors a job runs for: those it names, or every connector that reads something
    (it has connections: the Directory, written by policy, has none) and opts in (no `jobs:`
    list, or one naming the job)."""
    if job.connectors is not None:
        named = {c.lower() for c in job.connectors}
        return [c for c in connectors if c.identifier.lower() in named]
    low = job.identifier.lower()
    return [c for c in connectors if c.connections
            and (c.jobs is None or low in (j.lower() for j in c.jobs))]


def check_jobs(project: Project) -> Iterator[Problem]:
    from headcount.config.validation import suggest

    jobs = {j.identifier.lower(): j for j in project.jobs}
    job_names = [j.identifier for j in project.jobs]
    connector_names = [c.identifier for c in project.connectors]
    seen: set[str] = set()
    for ji, job in enumerate(project.jobs):
        base: PathKey = ("jobs", ji)
        if job.identifier.lower() in seen:
            yield (*base, "identifier"), f"job `{job.identifier}` is declared twice"
        seen.add(job.identifier.lower())
        for i, name in enumerate(job.connectors or []):
            if project.connector(name) is None:
                yield ((*base, "connectors", i),
                       f"no connector `{name}`{suggest(name, connector_names)}")
        for i, name in enumerate(job.after):
            if name.lower() not in jobs:
                yield (*base, "after", i), f"no job `{name}`{suggest(name, job_names)}"
            elif name.lower() == job.identifier.lower() or _follows(jobs, name, job.identifier):
                yield (*base, "after", i), f"`{job.identifier}` and `{name}` follow each other"
        if job.schedule is None and not job.after:
            yield base, f"job `{job.identifier}` has neither a `schedule` nor `after`"
        if job.schedule is not None and job.after:
            yield ((*base, "schedule"),
                   "a job runs on its `schedule` or `after` other jobs, not both")
        if job.mode is not None and "synchronize" not in job.tasks:
            yield (*base, "mode"), "`mode` is synchronize's: this job does not synchronize"
    for ci, connector in enumerate(project.connectors):
        for i, name in enumerate(connector.jobs or []):
            if name.lower() not in jobs:
                yield (("connectors", ci, "jobs", i),
                       f"no job `{name}`{suggest(name, job_names)}")


def _follows(jobs: dict[str, Job], start: str, target: str) -> bool:
    # Whether `start` follows `target`, directly or not: a cycle would never run.
    todo, seen = [start.lower()], set[str]()
    while todo:
        name = todo.pop()
        if name in seen or name not in jobs:
            continue
        seen.add(name)
        for parent in jobs[name].after:
            if parent.lower() == target.lower():
                return True
            todo.append(parent.lower())
    return False
