"""`headcount serve` alone runs scheduled jobs: it embeds a worker and the scheduler (a missed
tick is caught up on start)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from headcount.repository import jobruns
from headcount.scheduling import CATCH_UP
from headcount.scheduling.scheduler import Scheduler
from jobsproject import job_runs, jobs_project
from servers import free_port

SERVE = "from headcount.cli.app import main; main()"


def _serve(folder: Path, url: str) -> subprocess.Popen[bytes]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, "--project", str(folder), "serve", "--port", str(port),
         ], env={**os.environ, "HEADCOUNT_DATABASE_URL": url},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert server.poll() is None, server.communicate()
        assert time.monotonic() < deadline, "the server did not start"
        try:
            httpx.get(f"{base}/login", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.1)


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=30)
    server.communicate()


@pytest.mark.slow
def test_serve_alone_runs_a_scheduled_job(tmp_path: Path, sqlite_url: str) -> None:
    with jobs_project(tmp_path, sqlite_url) as hr:
        hr.sync(mode="initial")
        # The Daily job ran three days ago; the ticks since were missed: serve catches up.
        long_ago = datetime.now(UTC) - timedelta(days=3)
        Scheduler(hr.ctx, started=long_ago - timedelta(days=1)).tick(long_ago)
        assert len(job_runs(hr)) == 1
        server = _serve(tmp_path, sqlite_url)
        try:
            deadline = time.monotonic() + 120
            while True:
                found = job_runs(hr)
                if len(found) == 2 and found[1].state not in jobruns.OPEN:
                    break
                assert server.poll() is None, server.communicate()
                assert time.monotonic() < deadline, found
                time.sleep(0.2)
        finally:
            _stop(server)
        caught = job_runs(hr)[1]
        assert (caught.job, caught.trigger, caught.state) == ("Daily", CATCH_UP,
                                                              jobruns.SUCCEEDED)
        assert caught.run_ids
