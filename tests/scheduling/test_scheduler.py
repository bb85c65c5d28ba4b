"""The scheduler under a controlled clock (docs/jobs.md): a cron job fires at its time, once per
tick however many schedulers tick; a missed tick is caught up once; a deactivated connector's
job is skipped, saying so; a complete job run cancels the queued incrementals of its
connector."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headcount.cli.app import app
from headcount.repository import jobruns
from headcount.scheduling import CATCH_UP, LAUNCH, SCHEDULE, JobRequest, submit
from headcount.scheduling.scheduler import Scheduler
from jobsproject import DAILY, at, deploy, job_run, job_runs, jobs_project

FREQUENT = DAILY + """
  - identifier: Frequent
    schedule: "*/15 * * * *"
    mode: incremental
"""


def test_a_cron_job_fires_at_its_time_once_per_tick(tmp_path: Path, db_url: str) -> None:
    with jobs_project(tmp_path, db_url) as hr:
        scheduler = Scheduler(hr.ctx, started=at("2026-11-30T01:59:30"))
        assert scheduler.tick(at("2026-11-30T01:59:59")) == []
        made = scheduler.tick(at("2026-11-30T02:00:00"))
        assert len(made) == 1
        fired = job_run(hr, made[0])
        assert (fired.job, fired.connector, fired.trigger, fired.state, fired.mode) == (
            "Daily", "HR", SCHEDULE, jobruns.QUEUED, "complete")
        assert fired.scheduled_for == at("2026-11-30T02:00:00")
        assert fired.actor == "scheduler"
        assert scheduler.tick(at("2026-11-30T02:00:20")) == []
        assert scheduler.tick(at("2026-11-30T23:59:59")) == []
        # The next day, two schedulers (threads, processes) tick at once: one job run.
        others = [Scheduler(hr.ctx, started=at("2026-11-30T01:59:30")) for _ in range(4)]
        barrier = threading.Barrier(len(others))
        results: list[list[int]] = []

        def tick(scheduler: Scheduler) -> None:
            barrier.wait()
            results.append(scheduler.tick(at("2026-12-01T02:00:01")))

        threads = [threading.Thread(target=tick, args=(s,)) for s in others]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(len(r) for r in results) == [0, 0, 0, 1]
        assert [(r.scheduled_for, r.trigger) for r in job_runs(hr)] == [
            (at("2026-11-30T02:00:00"), SCHEDULE), (at("2026-12-01T02:00:00"), SCHEDULE)]


def test_a_missed_tick_is_caught_up_once(tmp_path: Path, db_url: str) -> None:
    with jobs_project(tmp_path, db_url) as hr:
        Scheduler(hr.ctx, started=at("2026-11-27T12:00:00")).tick(at("2026-11-28T02:00:00"))
        # The machine was down from the 28th to the 30th at 10:00: the 29th and 30th at 02:00
        # were missed. It runs the job on start, once.
        back = Scheduler(hr.ctx, started=at("2026-11-30T10:00:00"))
        made = back.tick(at("2026-11-30T10:00:00"))
        assert len(made) == 1
        caught = job_run(hr, made[0])
        assert (caught.trigger, caught.scheduled_for) == (CATCH_UP, at("2026-11-30T02:00:00"))
        assert back.tick(at("2026-11-30T10:00:20")) == []
        assert len(job_runs(hr)) == 2


def test_a_job_that_never_ran_starts_with_its_next_tick(tmp_path: Path, db_url: str) -> None:
    with jobs_project(tmp_path, db_url) as hr:
        scheduler = Scheduler(hr.ctx, started=at("2026-11-30T10:00:00"))
        assert scheduler.tick(at("2026-11-30T10:00:00")) == []
        assert len(scheduler.tick(at("2026-12-01T02:00:00"))) == 1


def test_the_schedule_is_read_in_its_time_zone(tmp_path: Path, db_url: str) -> None:
    paris = DAILY + "    time_zone: Europe/Paris\n"
    with jobs_project(tmp_path, db_url, jobs=paris) as hr:
        scheduler = Scheduler(hr.ctx, started=at("2026-11-30T00:00:00"))
        assert scheduler.tick(at("2026-11-30T00:59:59")) == []
        made = scheduler.tick(at("2026-11-30T01:00:00"))  # 02:00 in Paris, in winter
        assert job_run(hr, made[0]).scheduled_for == at("2026-11-30T01:00:00")


def _cli(project: Path, url: str, *args: str) -> str:
    result = CliRunner().invoke(app, ["--project", str(project), *args],
                                env={**os.environ, "HEADCOUNT_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    return result.output


def test_a_deactivated_connectors_job_is_skipped_saying_so(tmp_path: Path,
                                                          db_url: str) -> None:
    with jobs_project(tmp_path, db_url) as hr:
        scheduler = Scheduler(hr.ctx, started=at("2026-11-30T00:00:00"))
        _cli(tmp_path, db_url, "connector", "deactivate", "hr", "--reason", "HR migration")
        skipped = job_run(hr, scheduler.tick(at("2026-11-30T02:00:00"))[0])
        assert skipped.state == jobruns.SKIPPED
        assert skipped.message is not None
        assert skipped.message.startswith("connector HR is deactivated (by cli")
        assert skipped.message.endswith(": HR migration)")
        assert "deactivated" in _cli(tmp_path, db_url, "job-runs")
        _cli(tmp_path, db_url, "connector", "activate", "HR")
        again = job_run(hr, scheduler.tick(at("2026-12-01T02:00:00"))[0])
        assert (again.state, again.message) == (jobruns.QUEUED, None)
        # `active: false` in the configuration does the same.
        config = hr.folder / "config" / "hr.yaml"
        config.write_text(config.read_text(encoding="utf-8").replace(
            "  - identifier: HR\n", "  - identifier: HR\n    active: false\n"), encoding="utf-8")
        deploy(hr, DAILY)
        off = job_run(hr, scheduler.tick(at("2026-12-02T02:00:00"))[0])
        assert (off.state, off.message) == (
            jobruns.SKIPPED, "connector HR is deactivated (active: false in its configuration)")


def test_a_complete_job_run_cancels_the_queued_incrementals(tmp_path: Path,
                                                            db_url: str) -> None:
    with jobs_project(tmp_path, db_url, jobs=FREQUENT) as hr:
        scheduler = Scheduler(hr.ctx, started=at("2026-11-30T00:00:00"))
        frequent = scheduler.tick(at("2026-11-30T01:45:00"))
        launched = submit(hr.ctx, JobRequest("HR", mode="incremental", trigger=LAUNCH,
                                             actor="op"))
        made = scheduler.tick(at("2026-11-30T02:00:00"))
        runs = {r.id: r for r in job_runs(hr)}
        daily = next(i for i in made if runs[i].job == "Daily")
        for cancelled in (*frequent, launched):
            assert runs[cancelled].state == jobruns.CANCELLED
            assert runs[cancelled].message == f"cancelled by job run {daily} (a complete run " \
                                              "of HR)"
        # The incremental of the same tick, queued after the complete one, is cancelled when
        # the complete one starts (see test_worker.py); here it is still queued.
        assert [runs[i].state for i in made] == [jobruns.QUEUED, jobruns.QUEUED]


@pytest.mark.parametrize("coalesce", [True, False])
def test_a_coalescing_request_joins_the_queued_job_run(tmp_path: Path, db_url: str,
                                                       coalesce: bool) -> None:
    with jobs_project(tmp_path, db_url) as hr:
        request = JobRequest("HR", mode="incremental", trigger="push", coalesce=coalesce)
        first, second = submit(hr.ctx, request), submit(hr.ctx, request)
        assert (first == second) is coalesce
