"""The small HR project of hrproject.py with jobs (docs/jobs.md): a `jobs.yaml` written next to
its configuration and deployed, a controlled clock, and the job runs as the tests read them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from headcount.config.loader import load_project_config
from headcount.repository import deployments, jobruns
from headcount.repository.jobruns import JobRun
from hrproject import HRProject, people

DAILY = """
jobs:
  - identifier: Daily
    schedule: "0 2 * * *"
    mode: complete
"""
# A first load inserts everyone: no brake on it.
OPEN = {"max_inserted": 100000, "max_inserted_pct": 100000, "max_links_inserted_pct": 100000}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def deploy(hr: HRProject, jobs: str) -> None:
    (hr.folder / "config" / "jobs.yaml").write_text(jobs, encoding="utf-8")
    with hr.ctx.engine.begin() as conn:
        deployments.deploy(conn, load_project_config(hr.folder))


@contextmanager
def jobs_project(folder: Path, url: str, jobs: str = DAILY, staff: int = 10
                 ) -> Iterator[HRProject]:
    hr = HRProject(folder, url, thresholds=OPEN)
    try:
        hr.write_people(people(staff))
        deploy(hr, jobs)
        yield hr
    finally:
        hr.close()


def job_runs(hr: HRProject) -> list[JobRun]:
    """Oldest first."""
    with hr.ctx.engine.connect() as conn:
        return sorted(jobruns.listing(conn, limit=1000), key=lambda r: r.id)


def job_run(hr: HRProject, job_run_id: int) -> JobRun:
    found = jobruns.get_one(hr.ctx.engine, job_run_id)
    assert found is not None
    return found
