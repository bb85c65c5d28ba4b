"""Rich progress for long jobs: one line per step, with a spinner and the elapsed time."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn


class RichProgress:
    def __init__(self, console: Console) -> None:
        self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                  TimeElapsedColumn(), console=console, transient=True)
        self._task: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._progress.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._progress.__exit__(exc_type, exc, tb)

    def run_started(self, run_id: int) -> None:
        self._progress.console.print(f"run {run_id} started")

    def step(self, name: str) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=1, total=1)
        self._task = self._progress.add_task(name, total=None)
