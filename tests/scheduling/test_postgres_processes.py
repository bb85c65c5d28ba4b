"""Scale-out on one PostgreSQL (docs/deployment.md): two `headcount serve` and two `headcount
worker` processes share the queue — each job run carried out once, one run of a connector at a
time — and a worker killed mid-run (SIGKILL) leaves its run interrupted, the repository
unchanged, and the job retried by the other worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from headcount.jobs.synchronization import PAUSE_ENV
from headcount.repository import jobruns, users
from headcount.repository import runs as R
from headcount.scheduling import RETRY, JobRequest, submit
from hrproject import HRProject, people
from jobsproject import DAILY, deploy, job_runs, jobs_project
from pausing import kill_in_apply
from servers import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CLI = "from headcount.cli.app import main; main()"
RETRIED = DAILY.replace("    mode: complete\n", "    retry: {attempts: 2, delay_minutes: 0}\n")
# A dead worker is noticed in seconds rather than procrastinate's half minute.
FAST = {"HEADCOUNT_WORKER_HEARTBEAT": "0.5", "HEADCOUNT_WORKER_STALLED_AFTER": "3"}


@contextmanager
def process(hr: HRProject, url: str, *args: str, **env: str) -> Iterator[subprocess.Popen[str]]:
    """`headcount --project … ARGS` on the database at `url`, stopped (SIGTERM) at the end."""
    child = subprocess.Popen(
        [sys.executable, "-c", CLI, "--project", str(hr.folder), *args],
        env={**os.environ, "HEADCOUNT_DATABASE_URL": url, **FAST, **env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield child
    finally:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.kill()
        child.communicate()


def eventually(condition: Callable[[], bool], what: str,
               children: list[subprocess.Popen[str]]) -> None:
    deadline = time.monotonic() + 240
    while not condition():
        for child in children:
            assert child.poll() is None, (what, child.args, child.communicate())
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.1)


def answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def finished(hr: HRProject, count: int) -> bool:
    done = [r for r in job_runs(hr) if r.state not in jobruns.OPEN]
    return len(done) >= count


def test_two_workers_and_two_servers_run_each_job_run_once(tmp_path: Path,
                                                          postgres_url: str) -> None:
    with jobs_project(tmp_path, postgres_url, jobs=RETRIED) as hr, ExitStack() as stack:
        hr.sync()  # the initial load, here and now: the job runs are the runs that follow
        with hr.ctx.engine.begin() as conn:
            users.add_user(conn, "operator", "operator-password-1", "operator")
            operator = users.find_user(conn, "operator")
            assert operator is not None
            token = users.create_token(conn, operator, "launches", ["run"])
        ports = [free_port(), free_port()]
        children = [stack.enter_context(process(hr, postgres_url, "serve", "--port", str(p)))
                    for p in ports]
        children += [stack.enter_context(process(hr, postgres_url, "worker"))
                     for _ in range(2)]
        eventually(lambda: all(answers(p) for p in ports), "both servers answer", children)

        def launch(index: int) -> int:
            # 25 launched through the two servers (the UI's Launch), at once.
            answer = httpx.post(
                f"http://127.0.0.1:{ports[index % 2]}/api/connectors/HR/runs", json={},
                headers={"Authorization": f"Bearer {token}"}, timeout=60)
            assert answer.status_code == 202, answer.text
            job_run_id = answer.json()["job_run_id"]
            assert isinstance(job_run_id, int)
            return job_run_id

        with ThreadPoolExecutor(8) as pool:
            launched = list(pool.map(launch, range(25)))
        # 25 scheduled, as the scheduler queues them: due a moment from now.
        due = datetime.now(UTC) + timedelta(seconds=2)
        scheduled = [submit(hr.ctx, JobRequest("HR", actor="scheduler", not_before=due))
                     for _ in range(25)]
        eventually(lambda: finished(hr, 50), "the 50 job runs finished", children)

        done = job_runs(hr)
        assert sorted(r.id for r in done) == sorted(launched + scheduled)
        assert {r.state for r in done} <= {jobruns.SUCCEEDED, jobruns.WARNINGS}
        assert [r.attempts for r in done] == [1] * 50
        assert all(len(r.run_ids) == 1 for r in done)
        run_ids = [r.run_ids[0] for r in done]
        assert len(set(run_ids)) == 50
        with hr.ctx.engine.connect() as conn:
            listed = [r for r in R.list_runs(conn, "HR", limit=1000) if r.id in run_ids]
            assert conn.execute(sa.text("SELECT count(*) FROM procrastinate_jobs")).scalar() == 0
        assert len(listed) == 50  # and no run of the connector besides them and the initial
        spans = sorted((r.started_at, r.finished_at) for r in listed
                       if r.started_at is not None and r.finished_at is not None)
        assert len(spans) == 50
        for (_, finished_at), (started_at, _) in pairwise(spans):
            assert finished_at <= started_at  # one run of the connector at a time
        assert len({r.worker for r in done}) >= 2  # the processes shared the work


def test_a_worker_killed_mid_run_is_retried_by_the_other(tmp_path: Path,
                                                         postgres_url: str) -> None:
    with jobs_project(tmp_path, postgres_url, jobs=RETRIED, staff=30) as hr, \
            ExitStack() as stack:
        hr.sync()
        before = hr.state()
        hr.write_people(people(60))
        marker = tmp_path / "paused"
        doomed = stack.enter_context(process(hr, postgres_url, "worker",
                                             **{PAUSE_ENV: str(marker)}))
        queued = submit(hr.ctx, JobRequest("HR", job="Daily", actor="op"))
        eventually(marker.exists, "the worker reached the apply step", [doomed])
        other = stack.enter_context(process(hr, postgres_url, "worker"))
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=30)
        assert doomed.returncode == -signal.SIGKILL
        assert hr.state() == before

        eventually(lambda: finished(hr, 2), "the job retried", [other])
        interrupted, retry = job_runs(hr)
        assert interrupted.id == queued
        assert interrupted.state == jobruns.INTERRUPTED
        assert interrupted.worker is not None
        assert interrupted.worker.endswith(f":{doomed.pid}")
        assert interrupted.message is not None
        assert interrupted.message.startswith(f"its worker {interrupted.worker} stopped")
        assert (retry.trigger, retry.parent, retry.state) == (RETRY, queued, jobruns.WARNINGS)
        assert retry.worker is not None
        assert retry.worker.endswith(f":{other.pid}")
        with hr.ctx.engine.connect() as conn:
            states = [r.state for r in R.list_runs(conn, "HR")]
            changed_by_killed = conn.execute(sa.text(
                "SELECT count(*) FROM changes WHERE run_id = :run"),
                {"run": interrupted.run_ids[0]}).scalar()
        assert states == [R.WARNINGS, R.INTERRUPTED, R.SUCCEEDED]
        assert changed_by_killed == 0


PAYROLL = """
connectors:
  - identifier: Payroll
    connections:
      - identifier: Payslips
        path: data/payroll.csv
    entity_types:
      - identifier: Payroll_Person
        keys: [EmployeeId]
        properties:
          - {identifier: EmployeeId}
          - {identifier: Salary}
    mappings:
      - entity_type: Payroll_Person
        connection: Payslips
        key: EmployeeId
        columns: {EmployeeId: EmployeeId, Salary: Salary}
"""


def test_worker_concurrency_runs_two_connectors_at_once_never_one_twice(
        tmp_path: Path, postgres_url: str) -> None:
    """`headcount worker --concurrency 2` (over an environment that says 1): the job runs of two
    connectors run at once in the one worker — the first is held in its apply step, yet the
    second starts — while the first connector's next job run waits for it."""
    with jobs_project(tmp_path, postgres_url) as hr, ExitStack() as stack:
        hr.sync()
        (hr.folder / "config" / "payroll.yaml").write_text(PAYROLL, encoding="utf-8")
        (hr.folder / "data" / "payroll.csv").write_text("EmployeeId,Salary\nE1,100\n",
                                                        encoding="utf-8")
        deploy(hr, DAILY)
        hr.write_people(people(20))
        marker = tmp_path / "paused"
        first = submit(hr.ctx, JobRequest("HR", mode="complete", actor="op"))
        payroll = submit(hr.ctx, JobRequest("Payroll", actor="op"))
        behind = submit(hr.ctx, JobRequest("HR", mode="complete", actor="op"))
        worker = stack.enter_context(process(
            hr, postgres_url, "worker", "--concurrency", "2",
            **{PAUSE_ENV: str(marker), "HEADCOUNT_WORKER_CONCURRENCY": "1"}))

        def both_running() -> bool:
            states = {r.id: (r.state, r.worker) for r in job_runs(hr)}
            return marker.exists() and all(states[i][0] == jobruns.RUNNING
                                           for i in (first, payroll))

        eventually(both_running, "two connectors' job runs running at once", [worker])
        runs_now = {r.id: r for r in job_runs(hr)}
        name = runs_now[first].worker
        assert name is not None
        assert name.endswith(f":{worker.pid}")
        assert runs_now[payroll].worker == name
        assert runs_now[behind].state == jobruns.QUEUED  # HR's next waits for HR's first
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)


def test_a_job_run_abandoned_after_its_queue_job_is_handed_back(tmp_path: Path,
                                                                postgres_url: str) -> None:
    """A worker killed mid-run, and its queue job gone as when the worker that took it back
    died before recording the job run interrupted: the job run, left `running` with no queue
    job, is found by the next worker, ends interrupted and is retried per its job's policy."""
    with jobs_project(tmp_path, postgres_url, jobs=RETRIED, staff=30) as hr, \
            ExitStack() as stack:
        hr.sync()
        before = hr.state()
        hr.write_people(people(60))
        marker = tmp_path / "paused"
        queued = submit(hr.ctx, JobRequest("HR", job="Daily", actor="op"))
        doomed = subprocess.Popen(
            [sys.executable, "-c", CLI, "--project", str(hr.folder), "worker"],
            env={**os.environ, "HEADCOUNT_DATABASE_URL": postgres_url, **FAST,
                 PAUSE_ENV: str(marker)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        kill_in_apply(doomed, marker, "the worker")
        with hr.ctx.engine.begin() as conn:
            taken_back = conn.execute(sa.text(
                "SELECT procrastinate_finish_job_v1(id, 'failed', true) FROM procrastinate_jobs "
                "WHERE queueing_lock = :lock"), {"lock": f"job-run:{queued}"}).all()
        assert len(taken_back) == 1
        assert job_runs(hr)[0].state == jobruns.RUNNING
        assert hr.state() == before

        other = stack.enter_context(process(hr, postgres_url, "worker"))
        eventually(lambda: finished(hr, 2), "the job run handed back and retried", [other])
        interrupted, retry = job_runs(hr)
        assert interrupted.id == queued
        assert interrupted.state == jobruns.INTERRUPTED
        assert interrupted.message is not None
        assert interrupted.message.startswith(f"its worker {interrupted.worker} stopped")
        assert interrupted.message.endswith(f"retried as job run {retry.id}")
        assert (retry.trigger, retry.parent, retry.state) == (RETRY, queued, jobruns.WARNINGS)
