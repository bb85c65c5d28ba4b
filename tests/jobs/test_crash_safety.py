"""A process killed (SIGKILL) in the middle of applying a run leaves the repository as it was; the
next run marks the killed one interrupted and succeeds (SPEC §4.5)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from headcount.jobs.synchronization import PAUSE_ENV
from headcount.repository import runs as R
from hrproject import hr_project, people
from pausing import kill_in_apply

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
        kill_in_apply(child, marker)
        assert hr.state() == before
        run = hr.sync()
        assert run.state == R.WARNINGS
        assert run.counters["inserted"] == 30
        with hr.ctx.engine.connect() as conn:
            states = [r.state for r in R.list_runs(conn, "HR")]
        assert states == [R.WARNINGS, R.INTERRUPTED, R.SUCCEEDED]
