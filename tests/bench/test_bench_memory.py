"""bench/memory.py: a phase's own peak, and a child's own peak however large its parent."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from memory import phase_memory, run_child

MB = 2**20


def touched(size: int) -> bytearray:
    block = bytearray(size)
    block[::4096] = b"x" * len(block[::4096])
    return block


def test_a_phase_peak_is_its_own_not_an_earlier_phases() -> None:
    with phase_memory() as first:
        big = touched(200 * MB)
        del big
    with phase_memory() as second:
        small = touched(20 * MB)
        del small
    assert second.own
    assert first.peak_mb >= first.start_mb + 190
    assert second.peak_mb < first.peak_mb - 100


def test_a_child_peak_is_not_its_parents() -> None:
    ballast = touched(300 * MB)
    small = run_child([sys.executable, "-c", "import time; time.sleep(0.3)"])
    big = run_child([sys.executable, "-c", "import time; b = bytearray(100 * 2**20); "
                     "b[::4096] = b'x' * len(b[::4096]); time.sleep(0.3)"])
    del ballast
    assert small.returncode == 0
    assert small.peak_mb < 100
    assert big.peak_mb > small.peak_mb + 90
