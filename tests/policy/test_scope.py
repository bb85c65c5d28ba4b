"""A scoped evaluation is invisible (issue 14): evaluating some sources on a graph that holds only
them and what they reach gives exactly the orders and correlation cases of the whole graph with
the same sources — on any dated history, for any choice of sources, at any instant."""

from __future__ import annotations

import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datedhistories import BASE, NAMES, days, repository, run
from datedproject import DAY_ONE, Scenario
from headcount import collector
from headcount.jobs.evaluation import evaluate_policy
from headcount.policy import job
from headcount.policy.correlation import CorrelationCase
from headcount.policy.job import plan_policy
from headcount.policy.orders import Order
from headcount.repository.database import begin_write
from headcount.repository.schema import ownership


@contextmanager
def scoped(on: bool) -> Iterator[None]:
    before = job.SCOPED
    job.SCOPED = on
    try:
        yield
    finally:
        job.SCOPED = before


def planned(s: Scenario, only: dict[str, set[str]], when: int, on: bool,
            disowned: set[str]) -> tuple[list[Order], list[CorrelationCase]]:
    _, project = s.ctx.deployed()
    connector = project.connector("HR")
    assert connector is not None
    with scoped(on), begin_write(s.ctx.engine) as conn:
        transaction = conn.get_transaction()
        assert transaction is not None
        # Sources that own nothing find their targets again by correlation (a person back).
        for key in sorted(disowned):
            conn.execute(sa.delete(ownership).where(ownership.c.source_key == key))
        _, orders, cases, _ = plan_policy(conn, project, connector,
                                          BASE + timedelta(days=when), only)
        transaction.rollback()
    return orders, cases


def test_a_free_target_a_link_brought_in_is_found_by_correlation() -> None:
    """The root organization, disowned, is its children's parent: the scoped graph holds it
    through their links before any correlation asks for it. It is found again, not created a
    second time (ROOT-2)."""
    with tempfile.TemporaryDirectory() as folder:
        s = Scenario(Path(folder) / "p", f"sqlite:///{folder}/p.db")
        try:
            s.file(DAY_ONE)
            run(s, 0)
            only = {"HR_Organization": {"ROOT", "FIN"}}
            whole = planned(s, only, 0, False, {"ROOT"})
            assert any(o.target_key == "ROOT" and o.establishes for o in whole[0])
            assert planned(s, only, 0, True, {"ROOT"}) == whole
        finally:
            s.ctx.close()


SCOPES = st.fixed_dictionaries({
    "HR_Person": st.sets(st.sampled_from([*sorted(NAMES), "E7", "E9"])),
    "HR_Site": st.sets(st.sampled_from(["PAR", "TYO"]), max_size=1),
    "HR_Organization": st.sets(st.sampled_from(["ROOT", "FIN", "IT"]), max_size=1),
})


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(sequence=days(), data=st.data())
def test_a_scoped_graph_gives_the_orders_of_the_whole_graph(
        sequence: list[tuple[int, list[tuple[str, ...]]]], data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        s = Scenario(Path(folder) / "p", f"sqlite:///{folder}/p.db")
        try:
            for when, people in sequence:
                s.file(people)
                run(s, when)
                only = data.draw(SCOPES)
                later = when + data.draw(st.integers(min_value=0, max_value=60))
                # People and organizations: an organization's parent is read through a link.
                disowned = data.draw(st.sets(st.sampled_from(
                    [*sorted(NAMES), "ROOT", "FIN", "IT"]), max_size=2))
                assert planned(s, only, later, True, disowned) == \
                    planned(s, only, later, False, disowned), (only, later, disowned)
        finally:
            s.ctx.close()


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(sequence=days(), data=st.data())
def test_complete_runs_of_the_changes_and_the_transitions_due_equal_full_runs(
        sequence: list[tuple[int, list[tuple[str, ...]]]], data: st.DataObject) -> None:
    """A complete run evaluates the sources its file changed and those due (issue 14): day
    after day, with date evaluations between files, it gives the orders and the repository
    of runs that evaluate everyone."""
    with tempfile.TemporaryDirectory() as folder:
        part = Scenario(Path(folder) / "part", f"sqlite:///{folder}/part.db")
        whole = Scenario(Path(folder) / "whole", f"sqlite:///{folder}/whole.db")
        try:
            for when, people in sequence:
                listed = []
                later = BASE + timedelta(days=when + data.draw(st.integers(0, 40)))
                for s, on in ((part, True), (whole, False)):
                    s.file(people)
                    with scoped(on):
                        record = run(s, when)
                        evaluated = evaluate_policy(s.ctx, "HR", now=later)
                    listed.append((s.listed(record), s.listed(evaluated)))
                assert listed[0] == listed[1], when
            assert repository(part) == repository(whole)
        finally:
            part.ctx.close()
            whole.ctx.close()


def test_a_scoped_graph_is_freed_when_its_plan_is_dropped() -> None:
    """No reference cycle (the graph and its loader, a set-up and its record index) keeps the
    nodes a scoped evaluation read alive until the cyclic collector finds them."""
    with tempfile.TemporaryDirectory() as folder:
        s = Scenario(Path(folder) / "p", f"sqlite:///{folder}/p.db")
        try:
            s.file(DAY_ONE)
            run(s, 0)
            _, project = s.ctx.deployed()
            connector = project.connector("HR")
            assert connector is not None
            # Paused: only reference counting may free the graph.
            with collector.paused(), scoped(True), begin_write(s.ctx.engine) as conn:
                graph, orders, _, _ = plan_policy(conn, project, connector,
                                                  BASE + timedelta(days=40),
                                                  due={"HR_Person": {"E3", "E7"}})
                assert graph.loader is not None
                assert graph.nodes
                gone = weakref.ref(graph)
                del graph, orders
                assert gone() is None
                transaction = conn.get_transaction()
                assert transaction is not None
                transaction.rollback()
        finally:
            s.ctx.close()
