"""Twice equals once through workflows (SPEC §4.2, §7.2): for any sequence of dated HR files,
a run starts workflows; once people approve them all, the same file again orders nothing and
starts nothing, and the repository is the one direct fulfillment of the same files gives."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from datedhistories import days, repository, run
from datedproject import SAMPLES, Scenario
from headcount.config.loader import load_project_config
from headcount.repository import deployments, users
from headcount.workflows.engine import decide_task
from headcount.workflows.tasks import inbox


def through_workflows(folder: Path) -> Scenario:
    s = Scenario(folder, f"sqlite:///{folder}.db")
    shutil.copyfile(SAMPLES / "workflows.yaml", folder / "config" / "workflows.yaml")
    with s.ctx.engine.begin() as conn:
        deployments.deploy(conn, load_project_config(folder))
        users.add_user(conn, "boss", "correct-horse-battery", "administrator")
    return s


def approve_all(s: Scenario) -> int:
    project = s.ctx.deployed()[1]
    with s.ctx.engine.connect() as conn:
        boss = users.find_user(conn, "boss")
        assert boss is not None
        _, waiting = inbox(conn, project, boss, limit=1000)
    for task in waiting:
        decide_task(s.ctx.engine, project, task.id, boss, "Approve", comment="property test")
    return len(waiting)


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(sequence=days())
def test_approved_workflows_give_what_direct_fulfillment_gives_and_twice_is_once(
        sequence: list[tuple[int, list[tuple[str, ...]]]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        flowing = through_workflows(Path(folder) / "flowing")
        direct = Scenario(Path(folder) / "direct", f"sqlite:///{folder}/direct.db")
        try:
            for when, people in sequence:
                for s in (flowing, direct):
                    s.file(people)
                    run(s, when)
                approve_all(flowing)
                again = run(flowing, when)
                assert not again.counters.get("orders"), (when, flowing.listed(again))
                assert not again.counters.get("workflows"), (when, again.counters)
            assert repository(flowing) == repository(direct)
        finally:
            flowing.ctx.close()
            direct.ctx.close()
