"""How a job reports progress: one tiny interface, a silent default, and the CLI's Rich bars."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def step(self, name: str) -> None:
        """A new step starts (export, prepare, diff, thresholds, apply)."""
        ...


class Silent:
    def step(self, name: str) -> None:
        return None
