"""PostgreSQL's job queue on procrastinate (scheduling/postgres.py): a job run queued once, one
run per connector at a time, cancelled before it starts, handed back when its worker died, and
queued again when its process died between its record and its enqueue."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from headcount.repository.migrate import upgrade
from headcount.repository.schema import job_runs
from headcount.scheduling.postgres import ProcrastinateQueue, QueueTimings
from queuedruns import queued

pytestmark = pytest.mark.postgres

FAST = QueueTimings(heartbeat=0.5, stalled_after=2, stalled_check=0.5, polling=0.5,
                    orphan_grace=60)


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(postgres_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def queue(engine: sa.Engine) -> Iterator[ProcrastinateQueue]:
    queue = ProcrastinateQueue(engine, FAST)
    yield queue
    queue.close()


def waiting(engine: sa.Engine) -> list[tuple[str, str, str]]:
    """(queueing lock, lock, status) of the queue's jobs, in order."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT queueing_lock, lock, status FROM procrastinate_jobs ORDER BY id")).all()
    return [(r[0], r[1], r[2]) for r in rows]


@contextmanager
def serving(queue: ProcrastinateQueue, execute: Callable[[int], None],
            stalled: Callable[[int], None] = lambda _: None) -> Iterator[None]:
    stop = threading.Event()
    failures: list[BaseException] = []

    def serve() -> None:
        try:
            queue.serve(execute, stalled, stop)
        except BaseException as exc:  # the test reports it
            failures.append(exc)

    thread = threading.Thread(target=serve, name="test-worker")
    thread.start()
    try:
        yield
        assert failures == []
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not thread.is_alive()
    assert failures == []


def eventually(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.05)


def test_a_job_run_waits_in_the_queue_once_under_its_connectors_lock(
        engine: sa.Engine, queue: ProcrastinateQueue) -> None:
    queue.enqueue(1, "HR", None)
    queue.enqueue(1, "HR", None)
    queue.enqueue(2, "hr", None)
    assert waiting(engine) == [("job-run:1", "connector:hr", "todo"),
                               ("job-run:2", "connector:hr", "todo")]


def test_not_before_schedules_the_job(engine: sa.Engine, queue: ProcrastinateQueue) -> None:
    later = datetime(2031, 1, 2, 3, 4, tzinfo=UTC)
    queue.enqueue(7, "HR", later)
    queue.enqueue(8, "HR", datetime(2031, 1, 2, 3, 4))  # naive: UTC, as job_runs stores it
    with engine.connect() as conn:
        scheduled = conn.execute(sa.text(
            "SELECT scheduled_at FROM procrastinate_jobs ORDER BY id")).scalars().all()
    assert scheduled == [later, later]


def test_a_job_run_due_later_holds_back_none_due_sooner(engine: sa.Engine,
                                                         queue: ProcrastinateQueue) -> None:
    now = datetime.now(UTC)
    queue.enqueue(1, "HR", now + timedelta(days=2))
    queue.enqueue(2, "HR", now + timedelta(days=1))
    queue.enqueue(3, "HR", None)
    executed: list[int] = []
    with serving(queue, executed.append):
        eventually(lambda: executed == [3], "the job run due now executed")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE procrastinate_jobs SET scheduled_at = now()"))
    with serving(queue, executed.append):
        eventually(lambda: executed == [3, 2, 1], "the sooner due first")


def test_cancel_takes_waiting_job_runs_out(engine: sa.Engine,
                                           queue: ProcrastinateQueue) -> None:
    for job_run_id in (1, 2, 3):
        queue.enqueue(job_run_id, "HR", None)
    queue.cancel([1, 3, 99])
    assert waiting(engine) == [("job-run:2", "connector:hr", "todo")]


def test_two_workers_execute_each_job_run_once_one_per_connector_at_a_time(
        engine: sa.Engine) -> None:
    done: list[int] = []
    running: set[str] = set()
    overlaps: list[int] = []
    guard = threading.Lock()
    connectors = {i: ("HR", "AD")[i % 2] for i in range(1, 21)}

    def execute(job_run_id: int) -> None:
        connector = connectors[job_run_id]
        with guard:
            if connector in running:
                overlaps.append(job_run_id)
            running.add(connector)
        time.sleep(0.02)
        with guard:
            running.discard(connector)
            done.append(job_run_id)

    queues = [ProcrastinateQueue(engine, QueueTimings(**{**FAST.__dict__, "concurrency": 2}))
              for _ in range(2)]
    for job_run_id, connector in connectors.items():
        queues[job_run_id % 2].enqueue(job_run_id, connector, None)
    with serving(queues[0], execute), serving(queues[1], execute):
        eventually(lambda: len(done) == len(connectors), "every job run executed")
    for q in queues:
        q.close()
    assert sorted(done) == sorted(connectors)
    assert overlaps == []
    assert waiting(engine) == []


def test_a_dead_workers_job_run_is_handed_back_once(engine: sa.Engine,
                                                     queue: ProcrastinateQueue) -> None:
    queue.enqueue(5, "HR", None)
    queue.enqueue(6, "HR", None)
    with engine.begin() as conn:
        # A worker that took job run 5 and died: its heartbeat stopped an hour ago.
        dead = conn.execute(sa.text(
            "INSERT INTO procrastinate_workers (last_heartbeat) "
            "VALUES (now() - interval '1 hour') RETURNING id")).scalar_one()
        conn.execute(sa.text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w "
                             "WHERE queueing_lock = 'job-run:5'"), {"w": dead})
    handed_back: list[int] = []
    executed: list[int] = []
    with serving(queue, executed.append, handed_back.append):
        # Job run 6 waited behind 5 (same connector): freed once 5 is handed back.
        eventually(lambda: executed == [6], "the connector's next job run executed")
    assert handed_back == [5]
    assert waiting(engine) == []


def test_the_sweep_queues_again_job_runs_that_lost_their_enqueue(
        engine: sa.Engine, queue: ProcrastinateQueue) -> None:
    now = datetime(2030, 5, 6, 7, 0, tzinfo=UTC)
    old, recent = now - timedelta(minutes=5), now - timedelta(seconds=5)
    lost = queued(engine, "HR", queued_at=old)
    in_queue = queued(engine, "HR", queued_at=old)
    queue.enqueue(in_queue, "HR", None)
    queued(engine, "HR", queued_at=recent)  # its process may still be enqueuing it
    queued(engine, "AD", queued_at=old, state="succeeded")
    later = queued(engine, "AD", queued_at=old, not_before=now + timedelta(hours=1))
    assert queue.requeue_orphans(now) == [lost, later]
    assert queue.requeue_orphans(now) == []
    assert [w[0] for w in waiting(engine)] == [f"job-run:{in_queue}", f"job-run:{lost}",
                                               f"job-run:{later}"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(job_runs)).scalar() == 5


def test_once_serves_until_nothing_is_due_including_what_the_runs_queue(
        engine: sa.Engine, queue: ProcrastinateQueue) -> None:
    # Not due: it neither holds back the connector's job runs queued after it nor is waited for.
    queue.enqueue(3, "HR", datetime.now(UTC) + timedelta(days=1))
    queue.enqueue(1, "HR", None)
    executed: list[int] = []

    def execute(job_run_id: int) -> None:
        executed.append(job_run_id)
        if job_run_id == 1:
            queue.enqueue(2, "HR", None)  # a follower, queued while its leader runs

    queue.serve(execute, lambda _: None, threading.Event(), once=True)
    assert executed == [1, 2]
    assert [w[0] for w in waiting(engine)] == ["job-run:3"]


def test_a_running_job_run_no_queue_job_carries_is_abandoned(
        engine: sa.Engine, queue: ProcrastinateQueue) -> None:
    """A job run left `running` after the queue let go of it (the worker that handed a dead
    one's job back died before recording it): found once its heartbeat is old, unless a queue
    job still carries it out."""
    now = datetime.now(UTC)
    old, recent = now - timedelta(minutes=5), now - timedelta(seconds=1)
    lost = queued(engine, "HR", queued_at=old, state="running")
    queued(engine, "Payroll", queued_at=recent, state="running")  # its worker may still live
    carried = queued(engine, "AD", queued_at=old, state="running")
    queue.enqueue(carried, "AD", None)
    queued(engine, "Sales", queued_at=old, state="interrupted")
    with engine.begin() as conn:
        alive = conn.execute(sa.text(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now()) "
            "RETURNING id")).scalar_one()
        conn.execute(sa.text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w"),
                     {"w": alive})
    assert queue.abandoned(now) == [lost]
    handed_back: list[int] = []
    with serving(queue, lambda _: None, handed_back.append):
        eventually(lambda: lost in handed_back, "the abandoned job run handed back")
    assert set(handed_back) == {lost}
