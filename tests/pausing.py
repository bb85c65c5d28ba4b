"""A child process stopped dead mid-apply: it waits at the fault point of
jobs/synchronization.py (PAUSE_ENV names the marker file it writes there) and is SIGKILLed."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path


def kill_in_apply(child: subprocess.Popen[bytes], marker: Path, who: str = "the child") -> None:
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, f"{who} never reached the apply step"
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    child.communicate()
    assert child.returncode == -signal.SIGKILL
