"""How a job reports progress: one tiny interface, a silent default, and the CLI's Rich bars."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def run_started(self, run_id: int) -> None:
        """The run is recorded (it has an id); its steps follow."""
        ...

    def step(self, name: str) -> None:
        """A new step starts (export, prepare, diff, thresholds, apply)."""
        ...


class Silent:
    def run_started(self, run_id: int) -> None:
        return None

    def step(self, name: str) -> None:
        return None
