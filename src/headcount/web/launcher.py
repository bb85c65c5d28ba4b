"""Runs launched from the web: each in a thread of its own with its own database engine, so that
the server keeps answering; the page follows it by polling its job result."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from headcount.errors import HeadcountError
from headcount.jobs.evaluation import evaluate_policy
from headcount.jobs.progress import Progress
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext


@dataclass
class _Started:
    event: threading.Event = field(default_factory=threading.Event)
    run_id: int | None = None
    error: HeadcountError | None = None


class _Progress:
    def __init__(self, launcher: Launcher, started: _Started) -> None:
        self.launcher = launcher
        self.started = started

    def run_started(self, run_id: int) -> None:
        self.started.run_id = run_id
        self.started.event.set()

    def step(self, name: str) -> None:
        if self.started.run_id is not None:
            self.launcher.steps[self.started.run_id] = name


class Launcher:
    def __init__(self, project_dir: Path, url: str,
                 finished: Callable[[], None] | None = None) -> None:
        self.project_dir = project_dir
        self.url = url
        self.finished = finished
        # The step each live run is in, for the job result page.
        self.steps: dict[int, str] = {}

    def launch(self, request: SyncRequest, wait: float = 10.0) -> int:
        """Start a run; return its id once it is recorded (or raise why it could not start)."""
        return self.launch_job(
            request.connector, lambda ctx, progress: synchronize(ctx, request, progress), wait)

    def launch_evaluation(self, connector: str, actor: str, wait: float = 10.0) -> int:
        """Start the date evaluation of a connector's resource types (SPEC §8)."""
        return self.launch_job(connector, lambda ctx, progress: evaluate_policy(
            ctx, connector, actor=actor, progress=progress), wait)

    def launch_job(self, connector: str, job: Callable[[ProjectContext, Progress], object],
                   wait: float = 10.0) -> int:
        started = _Started()
        thread = threading.Thread(target=self._run, args=(job, started), daemon=True,
                                  name=f"run-{connector}")
        thread.start()
        started.event.wait(wait)
        if started.error is not None:
            raise started.error
        if started.run_id is None:
            raise HeadcountError("the run did not start in time; see the Job Execution page")
        return started.run_id

    def _run(self, job: Callable[[ProjectContext, Progress], object], started: _Started
             ) -> None:
        ctx = ProjectContext.open(self.project_dir, self.url)
        try:
            job(ctx, _Progress(self, started))
        except HeadcountError as exc:
            started.error = exc
        finally:
            started.event.set()
            if started.run_id is not None:
                self.steps.pop(started.run_id, None)
            ctx.close()
            if self.finished is not None:
                self.finished()
