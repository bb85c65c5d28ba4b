"""Workers carry out job runs (docs/jobs.md): the tasks and their runs recorded, jobs that
follow others for the same tick, retries per the job's policy, a skipped deactivated connector,
the date evaluation applying whatever was due — and a worker killed mid-run (SIGKILL) leaves its
run interrupted, the repository unchanged and the job run retried by the next worker; and the
worker's scheduler announces a stale source once per spell."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from datedproject import DAY_ONE, Scenario, at
from headcount.jobs.synchronization import PAUSE_ENV
from headcount.repository import jobruns
from headcount.repository import runs as R
from headcount.repository.freshness import utc
from headcount.scheduling import EVALUATE, RETRY, JobRequest, submit
from headcount.scheduling.scheduler import Scheduler
from headcount.scheduling.worker import STALE_EVERY, Worker
from hrproject import HRProject, people
from jobeventproject import job_event_samples
from jobsproject import DAILY, job_run, job_runs, jobs_project
from pausing import kill_in_apply

FOLLOWED = DAILY + """
    retry: {attempts: 2, delay_minutes: 0}
  - identifier: Evaluation
    tasks: [evaluate]
    after: [Daily]
"""


def drain(hr: HRProject, now: datetime | None = None) -> None:
    """One worker carries out everything due (at `now`), then stops."""
    clock: Callable[[], datetime] = (lambda: now) if now is not None else (
        lambda: datetime.now().astimezone())
    Worker(hr.ctx, clock=clock, schedule=now is not None, poll_seconds=0.05).run(
        threading.Event(), once=True)


def test_a_worker_carries_out_a_launch(tmp_path: Path, db_url: str) -> None:
    with jobs_project(tmp_path, db_url) as hr:
        queued = submit(hr.ctx, JobRequest("HR", actor="op"))
        drain(hr)
        done = job_run(hr, queued)
        assert (done.state, done.attempts, done.worker is not None) == (
            jobruns.SUCCEEDED, 1, True)
        with hr.ctx.engine.connect() as conn:
            run = R.get_run(conn, done.run_ids[0])
        assert (run.connector, run.state, run.counters["inserted"]) == ("HR", R.SUCCEEDED, 12)


def test_a_job_after_another_runs_for_its_tick_once_it_succeeded(tmp_path: Path,
                                                                 db_url: str) -> None:
    with jobs_project(tmp_path, db_url, jobs=FOLLOWED) as hr:
        Scheduler(hr.ctx, started=at("2026-11-30T00:00:00")).tick(at("2026-11-30T02:00:00"))
        drain(hr, at("2026-11-30T02:00:05"))
        daily, evaluation = job_runs(hr)
        assert (daily.job, daily.state) == ("Daily", jobruns.SUCCEEDED)
        assert (evaluation.job, evaluation.scheduled_for, evaluation.tasks) == (
            "Evaluation", daily.scheduled_for, (EVALUATE,))
        # HR feeds no resource type here: the evaluation says so and succeeds.
        assert (evaluation.state, evaluation.message) == (
            jobruns.SUCCEEDED, "no resource type reads from it: nothing to evaluate")


def test_a_failed_job_is_retried_and_its_follower_skipped(tmp_path: Path, db_url: str) -> None:
    with jobs_project(tmp_path, db_url, jobs=FOLLOWED) as hr:
        (hr.folder / "data" / "people.csv").unlink()
        Scheduler(hr.ctx, started=at("2026-11-30T00:00:00")).tick(at("2026-11-30T02:00:00"))
        drain(hr, at("2026-11-30T02:00:05"))
        first, retry, follower = job_runs(hr)
        assert first.state == jobruns.FAILED
        assert first.message is not None
        assert first.message.endswith(f"; retried as job run {retry.id}")
        assert (retry.trigger, retry.parent, retry.attempts, retry.state) == (
            RETRY, first.id, 2, jobruns.FAILED)
        assert "; retried as job run" not in (retry.message or "")  # 2 attempts in all
        assert (follower.job, follower.state, follower.message) == (
            "Evaluation", jobruns.SKIPPED, "after Daily, which ended failed")


def test_a_retry_that_succeeds_lets_the_follower_run(tmp_path: Path, db_url: str) -> None:
    with jobs_project(tmp_path, db_url, jobs=FOLLOWED) as hr:
        people_file = hr.folder / "data" / "people.csv"
        kept = people_file.read_bytes()
        people_file.unlink()
        Scheduler(hr.ctx, started=at("2026-11-30T00:00:00")).tick(at("2026-11-30T02:00:00"))
        worker = Worker(hr.ctx, clock=lambda: at("2026-11-30T02:00:05"), poll_seconds=0.05)
        first_id = job_runs(hr)[0].id
        worker.executor.execute(first_id)
        people_file.write_bytes(kept)
        worker.run(threading.Event(), once=True)
        states = [(r.job, r.trigger, r.state) for r in job_runs(hr)]
        assert states == [("Daily", "schedule", jobruns.FAILED),
                          ("Daily", RETRY, jobruns.SUCCEEDED),
                          ("Evaluation", "schedule", jobruns.SUCCEEDED)]


def test_a_deactivated_connectors_launch_is_skipped(tmp_path: Path, db_url: str) -> None:
    with jobs_project(tmp_path, db_url) as hr:
        with hr.ctx.engine.begin() as conn:
            jobruns.deactivate(conn, "HR", "admin", None, at("2026-11-30T09:00:00"))
        queued = submit(hr.ctx, JobRequest("HR", actor="op"))
        drain(hr)
        skipped = job_run(hr, queued)
        assert (skipped.state, skipped.message, skipped.run_ids) == (
            jobruns.SKIPPED, "connector HR is deactivated (by admin at 2026-11-30 09:00 UTC)",
            ())


def test_a_complete_job_run_that_starts_cancels_the_queued_incrementals(
        tmp_path: Path, db_url: str) -> None:
    with jobs_project(tmp_path, db_url) as hr:
        complete = submit(hr.ctx, JobRequest("HR", mode="complete", actor="op"))
        incremental = submit(hr.ctx, JobRequest("HR", mode="incremental", actor="op"))
        hr.sync(mode="initial")  # the complete one would refuse an empty connector
        drain(hr)
        assert job_run(hr, complete).state == jobruns.SUCCEEDED
        cancelled = job_run(hr, incremental)
        assert (cancelled.state, cancelled.message, cancelled.run_ids) == (
            jobruns.CANCELLED, f"cancelled by job run {complete} (a complete run of HR)", ())


def test_the_date_evaluation_applies_what_fell_due_while_none_ran(tmp_path: Path,
                                                                  db_url: str) -> None:
    scenario = Scenario(tmp_path / "dated", db_url)
    try:
        scenario.file(list(DAY_ONE))
        scenario.sync("2026-11-26T08:00:00")
        assert scenario.state("E6") == "pre-hire"  # starts on 2026-12-15
        # No evaluation ran from the 26th; the next one, weeks later, makes her active.
        queued = submit(scenario.ctx, JobRequest("HR", tasks=(EVALUATE,), actor="scheduler"))
        Worker(scenario.ctx, clock=lambda: at("2026-12-20T03:00:00"), schedule=False,
               poll_seconds=0.05).run(threading.Event(), once=True)
        done = jobruns.get_one(scenario.ctx.engine, queued)
        assert done is not None
        assert done.state == jobruns.SUCCEEDED
        assert scenario.state("E6") == "active"
    finally:
        scenario.ctx.close()


WORKER = "from headcount.cli.app import main; main()"


@pytest.mark.slow
def test_a_worker_killed_mid_run_leaves_it_interrupted_and_the_next_retries(
        tmp_path: Path, sqlite_url: str) -> None:
    retried = DAILY.replace("    mode: complete\n", "    retry: {attempts: 2, delay_minutes: 0}\n")
    with jobs_project(tmp_path, sqlite_url, jobs=retried, staff=30) as hr:
        hr.sync()
        before = hr.state()
        hr.write_people(people(60))
        queued = submit(hr.ctx, JobRequest("HR", job="Daily", actor="op"))
        marker = tmp_path / "paused"
        child = subprocess.Popen(
            [sys.executable, "-c", WORKER, "--project", str(tmp_path), "worker", "--once"],
            env={**os.environ, PAUSE_ENV: str(marker), "HEADCOUNT_DATABASE_URL": sqlite_url},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        kill_in_apply(child, marker, "the worker")
        assert hr.state() == before
        assert job_run(hr, queued).state == jobruns.RUNNING
        drain(hr)  # the next worker
        interrupted, retry = job_runs(hr)
        assert interrupted.id == queued
        assert interrupted.state == jobruns.INTERRUPTED
        assert interrupted.message is not None
        assert interrupted.message.startswith(f"its worker {interrupted.worker} stopped")
        assert (retry.trigger, retry.parent, retry.state) == (RETRY, queued, jobruns.WARNINGS)
        with hr.ctx.engine.connect() as conn:
            states = [r.state for r in R.list_runs(conn, "HR")]
        assert states == [R.WARNINGS, R.INTERRUPTED, R.SUCCEEDED]
        assert interrupted.run_ids == (2,)
        assert retry.run_ids == (3,)


class _SteppedClock:
    """The worker's clock, moved by the test; counts the scheduler thread's readings, so that
    the test knows a look for stale sources at the new moment is over."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.readings = 0
        self._changed = threading.Condition()

    def __call__(self) -> datetime:
        with self._changed:
            if threading.current_thread().name == "scheduler":
                self.readings += 1
                self._changed.notify_all()
            return self.now

    def move_to(self, moment: datetime) -> None:
        with self._changed:
            self.now = moment

    def looked(self) -> None:
        """Until the scheduler has read the clock twice more per tick, twice over: a look
        begun before the move ended, and one after it."""
        with self._changed:
            target = self.readings + 4
            assert self._changed.wait_for(lambda: self.readings >= target, timeout=60)


def test_the_worker_announces_a_stale_source_once_per_spell(
        tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with job_event_samples(tmp_path, db_url, monkeypatch) as make:
        sample = make()
        subject = "headcount: the source of HR is stale"
        finished = sample.run(1).finished_at
        assert finished is not None
        clock = _SteppedClock(utc(finished) + timedelta(days=1))  # fresh: 1 day < 2
        stop = threading.Event()
        worker = Worker(sample.hr.ctx, clock=clock, tick_seconds=0.01, poll_seconds=0.05)
        serving = threading.Thread(target=worker.run, args=(stop,), name="test-worker")
        serving.start()
        try:
            clock.looked()
            assert sample.mail.received == []
            clock.move_to(utc(finished) + timedelta(days=3))
            clock.looked()
            assert sample.mails_to("admin@example.com") == [subject]
            # The next ticks, and the next look an interval later: the same spell, told once.
            clock.looked()
            clock.move_to(clock.now + STALE_EVERY)
            clock.looked()
            assert sample.mails_to("admin@example.com") == [subject]
            # Fresh again, then stale: a new spell, told again.
            assert sample.sync().state == R.SUCCEEDED
            clock.move_to(clock.now + STALE_EVERY)
            clock.looked()
            assert sample.mails_to("admin@example.com") == [subject, subject]
        finally:
            stop.set()
            serving.join(timeout=60)
        assert not serving.is_alive()
