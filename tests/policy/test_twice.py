"""Twice equals once, for identities too (SPEC §4.2, §8): for any sequence of dated HR files —
joiners, movers, leavers, rehires, future dates — running a file a second time at the same
instant gives no order, and the repository is the one a fresh replay of the same files gives."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from datedhistories import days, repository, run
from datedproject import Scenario


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(sequence=days())
def test_the_same_file_twice_gives_no_order_and_the_state_of_a_fresh_replay(
        sequence: list[tuple[int, list[tuple[str, ...]]]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        twice = Scenario(Path(folder) / "twice", f"sqlite:///{folder}/twice.db")
        once = Scenario(Path(folder) / "once", f"sqlite:///{folder}/once.db")
        try:
            for when, people in sequence:
                for s in (twice, once):
                    s.file(people)
                    run(s, when)
                again = run(twice, when)
                assert not again.counters.get("orders"), (when, twice.listed(again))
            assert repository(twice) == repository(once)
        finally:
            twice.ctx.close()
            once.ctx.close()
