"""A process killed (SIGKILL) in the middle of applying a run leaves the repository as it was; the
next run marks the killed one interrupted and succeeds (SPEC §4.5)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from headcount.jobs.synchronization import PAUSE_ENV
from headcount.repository import runs as R
from hrproject import hr_project, people

CHILD = """
import sys
from pathlib import Path
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
ctx = ProjectContext.open(Path(sys.argv[1]), sys.argv[2])
synchronize(ctx, SyncRequest("HR"))
"""


@pytest.mark.slow
def test_sigkill_during_apply_leaves_the_repository_unchanged(tmp_path: Path,
                                                              db_url: str) -> None:
    with hr_project(tmp_path, db_url, thresholds={"max_inserted": 1000,
                                                  "max_inserted_pct": 1000,
                                                  "max_links_inserted_pct": 1000}) as hr:
        hr.write_people(people(30))
        hr.sync()
        before = hr.state()
        hr.write_people(people(60))
        marker = tmp_path / "paused"
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path), db_url],
            env={**os.environ, PAUSE_ENV: str(marker)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the child never reached the apply step"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.communicate()
        assert child.returncode == -signal.SIGKILL
        assert hr.state() == before
        run = hr.sync()
        assert run.state == R.WARNINGS
        assert run.counters["inserted"] == 30
        with hr.ctx.engine.connect() as conn:
            states = [r.state for r in R.list_runs(conn, "HR")]
        assert states == [R.WARNINGS, R.INTERRUPTED, R.SUCCEEDED]
