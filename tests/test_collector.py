"""The cyclic garbage collector stays paused for a whole run, and resumes after it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from datedproject import DAY_ONE, Scenario
from headcount import collector
from headcount.repository import runs


class Collections:
    """The collections the process starts while the fixture is in use: with a threshold of 1,
    any allocation of a container triggers one while the collector is enabled."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def note(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.seen.append(int(info["generation"]))

    def __len__(self) -> int:
        return len(self.seen)


@pytest.fixture
def gc_restored() -> Iterator[None]:
    """The collector's switch and thresholds as they were before the test."""
    thresholds, enabled = gc.get_threshold(), gc.isenabled()
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        (gc.enable if enabled else gc.disable)()


@pytest.fixture
def collections(gc_restored: None) -> Iterator[Collections]:
    watched = Collections()
    gc.callbacks.append(watched.note)
    try:
        yield watched
    finally:
        gc.callbacks.remove(watched.note)


def test_nested_pauses_leave_it_to_the_outermost(collections: Collections) -> None:
    gc.enable()
    gc.set_threshold(1)
    with collector.paused():
        collections.seen.clear()
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner one does not resume it
        _ = [[n] for n in range(100)]
        assert len(collections) == 0
    assert gc.isenabled()
    _ = [[n] for n in range(100)]
    assert len(collections) > 0
    gc.disable()
    with collector.paused():
        pass
    assert not gc.isenabled()  # paused by someone else before: left so


def test_runs_in_threads_share_one_pause(gc_restored: None) -> None:
    """The first run to finish does not resume the collector under a run still going."""
    gc.enable()
    inside, finish_first, first_done = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with collector.paused():
            inside.set()
            finish_first.wait(10)
        first_done.set()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert inside.wait(10)
        with collector.paused():
            finish_first.set()
            assert first_done.wait(10)
            assert not gc.isenabled()  # still this run's
        assert gc.isenabled()
    finally:
        finish_first.set()
        thread.join(10)


def test_a_run_collects_nothing_while_it_holds_its_orders(
        tmp_path: Path, db_url: str, collections: Collections,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Enabled again between the policy and the end of the run, its first collection walked
    # every order and value the run still held: 1.1 s after 100,000 people.
    counted: list[int] = []  # the collections counted as the run starts, then as it finishes
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
        gc.enable()
        gc.set_threshold(1)
        acts: list[Callable[[str], runs.RunRecord]] = [s.sync, s.evaluate]
        for act, when in zip(acts, ["2026-11-26T08:00:00", "2026-12-20T08:00:00"], strict=True):
            counted.clear()
            run = act(when)
            assert run.counters["orders"]
            # finished (its orders and graph still alive) without a collection since it began
            assert len(counted) == 2, counted
            assert counted[0] == counted[1], counted
        assert gc.isenabled()
        before = len(collections)
        _ = [[n] for n in range(100)]
        assert len(collections) > before  # after the run, it collects again
    finally:
        s.ctx.close()
