"""The cyclic garbage collector stays paused for a whole run, and resumes after it."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from datedproject import DAY_ONE, Scenario
from headcount import collector
from headcount.repository import runs


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generations collected while the test runs, with a threshold that makes any
    allocation of a container trigger a collection while the collector is enabled."""
    seen: list[int] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(int(info["generation"]))

    thresholds = gc.get_threshold()
    gc.callbacks.append(note)
    gc.set_threshold(1)
    try:
        yield seen
    finally:
        gc.callbacks.remove(note)
        gc.set_threshold(*thresholds)
        gc.enable()


def test_nested_pauses_leave_it_to_the_outermost(collections: list[int]) -> None:
    with collector.paused():
        collections.clear()
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner one does not resume it
        _ = [[n] for n in range(100)]
        assert collections == []
    assert gc.isenabled()
    _ = [[n] for n in range(100)]
    assert collections
    gc.disable()
    with collector.paused():
        pass
    assert not gc.isenabled()  # paused by someone else before: left so


def test_a_run_collects_nothing_while_it_holds_its_orders(
        tmp_path: Path, db_url: str, collections: list[int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Enabled again between the policy and the end of the run, its first collection walked
    # every order and value the run still held: 1.1 s after 100,000 people.
    # The collections counted when the run starts and when it finishes
    counted: list[int] = []
    start, finish = runs.start_run, runs.finish_run

    def start_run(*args: Any, **kw: Any) -> Any:
        counted.append(len(collections))
        return start(*args, **kw)

    def finish_run(conn: sa.Connection, run_id: int, state: str, *args: Any, **kw: Any) -> None:
        counted.append(len(collections))
        finish(conn, run_id, state, *args, **kw)

    monkeypatch.setattr(runs, "start_run", start_run)
    monkeypatch.setattr(runs, "finish_run", finish_run)
    s = Scenario(tmp_path / "hr", db_url)
    try:
        s.file(list(DAY_ONE))
        acts: list[Callable[[str], runs.RunRecord]] = [s.sync, s.evaluate]
        for act, when in zip(acts, ["2026-11-26T08:00:00", "2026-12-20T08:00:00"], strict=True):
            counted.clear()
            run = act(when)
            assert run.counters["orders"]
            # finished (its orders and graph still alive) without a collection since it began
            assert len(counted) == 2, counted
            assert counted[0] == counted[1], counted
        assert gc.isenabled()
        _ = [[n] for n in range(100)]
        assert collections  # after the run, it collects again
    finally:
        s.ctx.close()
