"""`headcount launch`, `worker --once`, `job-runs`, `schedule` and `connector
activate|deactivate` (docs/jobs.md, docs/cli.md) on the small HR project with a daily job."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from typer.testing import CliRunner

from headcount.cli import exitcodes
from headcount.cli.app import app
from headcount.scheduling.worker import Worker
from jobsproject import DAILY, job_runs, jobs_project

FOLLOWED = DAILY + """
  - identifier: Evaluation
    display_name: Date evaluation
    tasks: [evaluate]
    after: [Daily]
"""


def run(project: Path, url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--project", str(project), *args],
                                env={**os.environ, "HEADCOUNT_DATABASE_URL": url})
    return result.exit_code, result.output


def test_launch_queues_and_a_worker_carries_out(tmp_path: Path, db_url: str) -> None:
    with jobs_project(tmp_path, db_url, jobs=FOLLOWED) as hr:
        code, out = run(tmp_path, db_url, "launch", "hr", "--mode", "initial")
        assert (code, out.strip()) == (0, "job run 1 queued for HR")
        code, out = run(tmp_path, db_url, "job-runs")
        assert code == 0
        assert "queued" in out
        assert run(tmp_path, db_url, "worker", "--once")[0] == 0
        # --wait waits for a worker: one runs beside the command.
        stop = threading.Event()
        worker = threading.Thread(target=Worker(hr.ctx, schedule=False, poll_seconds=0.05).run,
                                  args=(stop,))
        worker.start()
        try:
            code, out = run(tmp_path, db_url, "launch", "HR", "--job", "Daily", "--wait")
        finally:
            stop.set()
            worker.join()
        assert code == 0, out
        assert "job run 2 succeeded (run 2)" in out
        assert [(r.job, r.mode, r.state) for r in job_runs(hr)] == [
            (None, "initial", "succeeded"), ("Daily", "complete", "succeeded")]


def test_launch_refuses_unknown_names(tmp_path: Path, db_url: str) -> None:
    with jobs_project(tmp_path, db_url):
        code, out = run(tmp_path, db_url, "launch", "HRR")
        assert code == exitcodes.NOT_FOUND
        assert "no connector `HRR`" in out
        code, out = run(tmp_path, db_url, "launch", "HR", "--job", "Weekly")
        assert code == exitcodes.NOT_FOUND
        assert "no job `Weekly` (deployed: Daily)" in out


def test_schedule_shows_each_job_in_words(tmp_path: Path, db_url: str) -> None:
    with jobs_project(tmp_path, db_url, jobs=FOLLOWED):
        code, out = run(tmp_path, db_url, "schedule")
        assert code == 0
        assert "every day at 02:00 (UTC)" in out
        assert "after Daily" in out
        assert "Date evaluation" in out


def test_deactivate_needs_a_reason_and_activate_says_when_nothing_was_off(
        tmp_path: Path, db_url: str) -> None:
    with jobs_project(tmp_path, db_url):
        code, out = run(tmp_path, db_url, "connector", "deactivate", "HR")
        assert code != 0
        assert "--reason" in out
        code, out = run(tmp_path, db_url, "connector", "activate", "HR")
        assert code == 0
        assert "was not deactivated" in out
        code, out = run(tmp_path, db_url, "connector", "deactivate", "XX", "--reason", "r")
        assert code == exitcodes.NOT_FOUND
