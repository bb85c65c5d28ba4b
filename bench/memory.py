"""Peak memory of one phase of a benchmark that runs its phases in one process.

A process's peak RSS (VmHWM, what `getrusage` reports) only grows: the second phase would show
the first one's peak. Linux lets a process reset it (`echo 5 > /proc/self/clear_refs`, since
4.0), so the peak read at the end of a phase is that phase's own — on top of what earlier phases
left in memory, which `start_mb` shows. Where the reset is refused, the peak is the process's so
far, and `own` says so. A phase run as a subprocess (`run_child`) has its own peak by nature.
"""

from __future__ import annotations

import os
import resource
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def status_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak since the last reset) of this process, in MB; 0 without
    /proc."""
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _reset_peak() -> bool:
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


@dataclass
class PhaseMemory:
    start_mb: float
    own: bool  # the peak is this phase's alone (the reset worked)
    peak_mb: float = 0.0

    def shown(self) -> str:
        peak = f"peak {self.peak_mb:,.0f} MB" if self.own else \
            f"peak so far {self.peak_mb:,.0f} MB"
        return f"{peak} (RSS {self.start_mb:,.0f} MB at its start)"

    def figures(self) -> dict[str, float | bool]:
        return {"start_rss_mb": round(self.start_mb, 1), "peak_rss_mb": round(self.peak_mb, 1),
                "own_peak": self.own}


@contextmanager
def phase_memory() -> Iterator[PhaseMemory]:
    """Measures the peak RSS of the `with` block; read `peak_mb` after it."""
    memory = PhaseMemory(status_mb("VmRSS"), _reset_peak())
    try:
        yield memory
    finally:
        memory.peak_mb = status_mb("VmHWM") or \
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(frozen=True)
class Child:
    """A subprocess that ran to its end: exit code, wall seconds, its own peak RSS."""

    returncode: int
    seconds: float
    peak_mb: float


def run_child(command: Sequence[str], *, stdout: IO[Any] | int | None = None,
              stderr: IO[Any] | int | None = None, env: Mapping[str, str] | None = None
              ) -> Child:
    """Runs `command` and watches its VmHWM (/proc/PID/status) every 20 ms until it ends.
    Neither wait4's rusage nor RUSAGE_CHILDREN would do: Linux carries the parent's peak over a
    vfork and exec into the child's, so a 13 MB tool started by a 500 MB bench shows 500 MB.
    VmHWM only grows; what the last 20 ms of a child add to it is not seen."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env)
    path = Path(f"/proc/{process.pid}/status")
    peak = 0.0
    while True:
        pid, code, _ = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        try:
            for line in path.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
        except OSError:
            pass
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(code)
    return Child(process.returncode, seconds, peak)
