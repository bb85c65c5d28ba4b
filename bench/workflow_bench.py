"""HR → identities through workflows (issue 9, SPEC §7, §14): one HR run in which 10,000
employees join starts 10,000 workflows (≤ 10 s on SQLite), and My Tasks lists and searches those
10,000 pending reviews (≤ 300 ms server time).

1. the sample project (hrfiles) with the workforce template's workflows, day one loaded directly
   (a first load starts no workflow);
2. the day-one people file with N permanent joiners appended, run with `force`: 10,000 joiners
   rightly cross the thresholds (100 resources, 5 %) that would block the run;
3. the raw floor: the workflow instances and tasks that run wrote, bulk inserted (executemany,
   one transaction) into fresh tables of the same shape and indexes;
4. My Tasks of an HR user, server side, median of --repeat calls: `inbox()` (first page, a
   subject's key, a name fragment, a workflow), the top bar's `open_count()`, `GET /api/tasks`
   and the `/tasks` page through the ASGI app in process (timed inside it).

Run: .venv/bin/python bench/workflow_bench.py --people 50000 --joiners 10000
     [--database-url URL] [--keep DIR] [--json OUT]
(with a PostgreSQL URL, a fresh database is created on that server and dropped afterwards)
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from headcount.config.loader import load_project_config
from headcount.config.model import Project
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import deployments, runs, users
from headcount.repository.bulk import raw_rows
from headcount.repository.database import begin_write, create_engine
from headcount.repository.resources import get_resource
from headcount.repository.schema import workflow_instances, workflow_tasks
from headcount.repository.users import User
from headcount.samples import hrfiles
from headcount.samples.vocabulary import FIRST_NAMES, LAST_NAMES
from headcount.web.app import create_app
from headcount.workflows.tasks import inbox, open_count
from memory import PhaseMemory, phase_memory
from sync_bench import drop_postgres, fresh_postgres
from webproject import PASSWORD, login

REVIEW = "Directory_User_NewEmployee"
DAY_ONE = "day-one.db"
JOINED = "joined"  # the day-one people file with the joiners, until day one is loaded
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]


class _DoubleBarrelled:
    """(first name, "Last-Other") for every first name and pair of distinct last names, in the
    order of the nested loops over them, computed from a position."""

    def __len__(self) -> int:
        return len(FIRST_NAMES) * len(LAST_NAMES) * (len(LAST_NAMES) - 1)

    def __getitem__(self, position: int) -> tuple[str, str]:
        pairs = len(LAST_NAMES) * (len(LAST_NAMES) - 1)
        first, rest = divmod(position, pairs)
        a, b = divmod(rest, len(LAST_NAMES) - 1)
        b += b >= a  # the second name skips the first
        return FIRST_NAMES[first], f"{LAST_NAMES[a]}-{LAST_NAMES[b]}"


def joiners(day_one: hrfiles.Dataset, count: int, seed: int) -> list[hrfiles.Person]:
    """`count` permanent employees (each starts the one-review workflow), deterministic. Their
    double-barrelled surnames are no day-one person's: a joiner is nobody's homonym, so each
    is a plain new hire, never a re-key candidate."""
    rng = random.Random(seed)
    names = _DoubleBarrelled()
    if count > len(names):
        raise SystemExit(f"at most {len(names):,} joiners")
    orgs = sorted((o for o in day_one.organizations if day_one.org_weights.get(o.code, 0) > 0),
                  key=lambda o: o.code)
    weights = [day_one.org_weights[o.code] for o in orgs]
    first_number = max(int(p.employee_id[1:]) for p in day_one.people) + 1
    out = []
    # Positions drawn as from the list of every name (sample() only looks at its length), and
    # only those named: the list would hold tens of millions of tuples.
    for n, position in enumerate(rng.sample(range(len(names)), count)):
        first, last = names[position]
        org = rng.choices(orgs, weights=weights)[0]
        out.append(hrfiles.Person(
            hrfiles.employee_id(first_number + n), first, last, "",
            f"{hrfiles.ascii_slug(first)}.{hrfiles.ascii_slug(last)}@{hrfiles.EMAIL_DOMAIN}",
            rng.choice(day_one.org_titles[org.code]), org.code, day_one.org_sites[org.code],
            org.manager_id, "permanent", day_one.today + timedelta(days=rng.randint(1, 45)),
            None))
    return out


def build(folder: Path, url: str | None, people: int, count: int) -> None:
    """The sample project with its workflows, day one synchronized directly, the joiners'
    people file in place; an HR user. On SQLite, the day-one database is kept as
    `day-one.db`: a kept folder re-runs the joiners from it (--keep, to profile)."""
    (folder / "config").mkdir(parents=True, exist_ok=True)
    for name in ("hr.yaml", "directory.yaml", "policy.yaml", "workflows.yaml"):
        shutil.copyfile(Path(hrfiles.__file__).with_name(name), folder / "config" / name)
    start = time.perf_counter()
    day_one = hrfiles.generate_day_one(people)
    hrfiles.write_dataset(day_one, folder / "data")
    # The joiners' files are written now, aside, so that the sample (a Python object a person)
    # is not held through day one's run.
    joined = joiners(day_one, count, hrfiles.DEFAULT_SEED)
    hrfiles.write_dataset(replace(day_one, people=[*day_one.people, *joined]),
                          folder / JOINED)
    del day_one, joined
    print(f"generated {people:,} people and {count:,} joiners in "
          f"{time.perf_counter() - start:.1f} s")
    ctx = ProjectContext.open(folder, url)
    try:
        with begin_write(ctx.engine) as conn:
            deployments.deploy(conn, load_project_config(folder))
            users.add_user(conn, "hr", PASSWORD, "hr")
        start = time.perf_counter()
        first = synchronize(ctx, SyncRequest("HR"))
        print(f"day one, loaded directly: {time.perf_counter() - start:.1f} s, {first.state}")
        if first.state not in (runs.SUCCEEDED, runs.WARNINGS):
            sys.exit(f"day one did not succeed: {first.message}")
    finally:
        ctx.close()
    if url is None:
        shutil.copyfile(folder / "headcount.db", folder / DAY_ONE)
    for written in (folder / JOINED).iterdir():
        written.replace(folder / "data" / written.name)


def restore_day_one(folder: Path) -> None:
    for suffix in ("-wal", "-shm"):
        (folder / f"headcount.db{suffix}").unlink(missing_ok=True)
    shutil.copyfile(folder / DAY_ONE, folder / "headcount.db")
    print(f"day one restored from {folder / DAY_ONE}")


def started(ctx: ProjectContext, run_id: int) -> dict[str, int]:
    """The workflows a run started: `workflow state` → how many."""
    i = workflow_instances.c
    with ctx.engine.connect() as conn:
        rows = conn.execute(sa.select(i.workflow, i.state, sa.func.count())
                            .where(i.started_by_run == run_id)
                            .group_by(i.workflow, i.state)).all()
    return {f"{w} {s}": int(n) for w, s, n in rows}


def raw_floor(ctx: ProjectContext, run_id: int, url: str | None, folder: Path) -> float:
    """The least starting the run's workflows must write: its instances and their tasks, as the
    repository holds them, bulk inserted with executemany in one transaction into fresh tables
    of the same columns and indexes (a separate SQLite file with the engine's settings, or a
    fresh PostgreSQL database)."""
    i, t = workflow_instances.c, workflow_tasks.c
    with ctx.engine.connect() as conn:
        ids = sa.select(i.id).where(i.started_by_run == run_id).scalar_subquery()
        instances = raw_rows(conn, sa.select(*[c for c in workflow_instances.c if c is not i.id])
                             .where(i.started_by_run == run_id))
        tasks = raw_rows(conn, sa.select(*[c for c in workflow_tasks.c if c is not t.id])
                         .where(t.instance_id.in_(ids)))
    tables = sa.MetaData()
    copies = [workflow_instances.to_metadata(tables), workflow_tasks.to_metadata(tables)]
    if url is None:
        db = folder / "floor.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        floor_url = f"sqlite:///{db}"
    else:
        floor_url = fresh_postgres(url)
    # The repository's own engine settings (WAL, synchronous=NORMAL, cache) on SQLite.
    engine = create_engine(floor_url)
    try:
        tables.create_all(engine)
        marker = "?" if url is None else "%s"
        inserts = []
        for table, rows in zip(copies, (instances, tasks), strict=True):
            names = [c.name for c in table.c if c.name != "id"]
            inserts.append((f"INSERT INTO {table.name} ({', '.join(names)}) "
                            f"VALUES ({', '.join(marker for _ in names)})", rows))
        raw = engine.raw_connection()
        try:
            start = time.perf_counter()
            cursor = raw.cursor()
            if url is None:
                # The engine leaves pysqlite's autocommit on and begins itself: so does this.
                cursor.execute("BEGIN")
            for sql, rows in inserts:
                cursor.executemany(sql, rows)
            raw.commit()
            return time.perf_counter() - start
        finally:
            raw.close()
    finally:
        engine.dispose()
        if url is not None:
            drop_postgres(floor_url)


class ServerTimer:
    """Wraps the ASGI app: the time from a request's arrival to its last body part sent, the
    server's own time (no client, no network)."""

    def __init__(self, app: Asgi) -> None:
        self.app = app
        self.last_ms = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.last_ms = (time.perf_counter() - start) * 1000
            await send(message)

        await self.app(scope, receive, timed)


def median_ms(call: Callable[[], float], repeat: int) -> tuple[float, float, float]:
    times = [call() for _ in range(repeat)]
    return statistics.median(times), min(times), max(times)


def a_joiner(ctx: ProjectContext, run_id: int) -> tuple[str, str]:
    """The key of the joiner halfway through the run's workflows, and a fragment of their
    surname (from their HR record: the identity waits for its review)."""
    i = workflow_instances.c
    with ctx.engine.connect() as conn:
        keys = conn.execute(sa.select(i.subject_key).where(i.started_by_run == run_id)
                            .order_by(i.id)).scalars().all()
        key = str(keys[len(keys) // 2])
        record = get_resource(conn, "HR_Person", key)
    return key, str(record.values["LastName"]).split("-")[0][:5]


def my_tasks(ctx: ProjectContext, url: str | None, folder: Path, run_id: int, repeat: int
             ) -> dict[str, dict[str, Any]]:
    """Server time of My Tasks for the HR user: label → median, min, max (ms), tasks found."""
    project: Project = ctx.deployed()[1]
    with ctx.engine.connect() as conn:
        hr = users.find_user(conn, "hr")
    assert hr is not None
    key, fragment = a_joiner(ctx, run_id)
    searches: dict[str, dict[str, Any]] = {
        "inbox(): first page": {},
        f"inbox(): subject = a key ({key})": {"subject": key},
        f"inbox(): subject = a name fragment ({fragment})": {"subject": fragment},
        f"inbox(): workflow = {REVIEW}": {"workflow": REVIEW},
    }
    out: dict[str, dict[str, Any]] = {}

    def timed_inbox(user: User, **query: Any) -> tuple[float, int]:
        with ctx.engine.connect() as conn:
            start = time.perf_counter()
            total, _ = inbox(conn, project, user, **query)
            return (time.perf_counter() - start) * 1000, total

    for label, query in searches.items():
        found = timed_inbox(hr, **query)[1]
        figures = median_ms(lambda q=query: timed_inbox(hr, **q)[0], repeat)  # type: ignore[misc]
        out[label] = {"ms": figures, "found": found}

    def timed_count() -> float:
        with ctx.engine.connect() as conn:
            start = time.perf_counter()
            open_count(conn, project, hr)
            return (time.perf_counter() - start) * 1000

    with ctx.engine.connect() as conn:
        count = open_count(conn, project, hr)
    out["open_count() (the top bar)"] = {"ms": median_ms(timed_count, repeat), "found": count}

    app = create_app(folder, url)
    timer = ServerTimer(app)
    client = TestClient(timer)
    try:
        login(client, "hr")
        requests = {
            "GET /api/tasks": "/api/tasks",
            f"GET /api/tasks?subject={fragment}": f"/api/tasks?subject={fragment}",
            f"GET /api/tasks?workflow={REVIEW}": f"/api/tasks?workflow={REVIEW}",
            "GET /tasks (the page, with the top bar)": "/tasks",
        }
        for label, path in requests.items():
            accept = "text/html" if path.startswith("/tasks") else "application/json"

            def get(path: str = path, accept: str = accept) -> float:
                answer = client.get(path, headers={"Accept": accept})
                assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
                return timer.last_ms

            get()  # the first request of a route builds its models and templates
            first = client.get(path, headers={"Accept": accept})
            total = first.json()["total"] if accept == "application/json" else None
            out[label] = {"ms": median_ms(get, repeat), "found": total}
    finally:
        client.close()
        app.state.headcount.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50_000, help="day-one people")
    parser.add_argument("--joiners", type=int, default=10_000, help="employees who join")
    parser.add_argument("--repeat", type=int, default=5, help="calls per My Tasks figure")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (SQLite: "
                        "a second run starts again from its day one)")
    parser.add_argument("--database-url", help="PostgreSQL server (default: SQLite)")
    parser.add_argument("--json", type=Path, help="save the figures as JSON")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="run the joiners' run under cProfile: DIR/joiners.prof and .txt")
    args = parser.parse_args()
    url = fresh_postgres(args.database_url) if args.database_url else None
    folder = args.keep or Path(tempfile.mkdtemp(prefix="workflow-bench-"))
    load = os.getloadavg()[0]
    memory: dict[str, PhaseMemory] = {}
    try:
        with phase_memory() as memory["day one"]:
            if url is None and (folder / DAY_ONE).exists():
                restore_day_one(folder)
            else:
                build(folder, url, args.people, args.joiners)
        ctx = ProjectContext.open(folder, url)
        try:
            profiler = cProfile.Profile() if args.profile else None
            with phase_memory() as memory["joiners' run"]:
                cpu = time.process_time()
                start = time.perf_counter()
                if profiler:
                    profiler.enable()
                run = synchronize(ctx, SyncRequest(
                    "HR", force=True,
                    reason=f"bench: {args.joiners:,} joiners cross the thresholds on purpose"))
                if profiler:
                    profiler.disable()
                wall = time.perf_counter() - start
                cpu = time.process_time() - cpu
            if profiler:
                write_profile(profiler, args.profile)
            if run.state not in (runs.SUCCEEDED, runs.WARNINGS):
                sys.exit(f"the joiners' run did not succeed: {run.state} {run.message}")
            counts = started(ctx, run.id)
            with phase_memory() as memory["floor"]:
                floor = raw_floor(ctx, run.id, url, folder)
            # The next run of the same file while the reviews wait: every joiner's orders
            # again, each held by its running workflow, nothing started.
            with phase_memory() as memory["the same file again"]:
                again_cpu = time.process_time()
                start = time.perf_counter()
                again = synchronize(ctx, SyncRequest("HR"))
                again_wall = time.perf_counter() - start
                again_cpu = time.process_time() - again_cpu
            if started(ctx, again.id):
                sys.exit(f"the same file again started workflows: {started(ctx, again.id)}")
            with phase_memory() as memory["My Tasks"]:
                tasks = my_tasks(ctx, url, folder, run.id, args.repeat)
        finally:
            ctx.close()
    finally:
        if url is not None:
            drop_postgres(url)
    report(args, (run, wall, cpu), counts, floor, tasks, load, (again, again_wall, again_cpu),
           memory)


def write_profile(profiler: cProfile.Profile, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(folder / "joiners.prof")
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(40)
    (folder / "joiners.txt").write_text(text.getvalue())


Timed = tuple[runs.RunRecord, float, float]  # the run, its wall and CPU seconds


def report(args: argparse.Namespace, joiners_run: Timed, counts: dict[str, int], floor: float,
           tasks: dict[str, dict[str, Any]], load: float, next_run: Timed,
           memory: dict[str, PhaseMemory]) -> None:
    run, wall, cpu = joiners_run
    database = "PostgreSQL" if args.database_url else "SQLite"
    policy = run.timings.get("policy", 0.0)
    steps = ", ".join(f"{k} {v:.2f} s" for k, v in run.timings.items())
    waiting = counts.get(f"{REVIEW} running", 0)
    print(f"\n{database}, {args.people:,} people + {args.joiners:,} joiners, load "
          f"{load:.2f} → {os.getloadavg()[0]:.2f}")
    print(f"the joiners' run (forced): {wall:.2f} s (target ≤ 10 s on SQLite), "
          f"×{wall / floor:.1f} the raw floor; CPU {cpu:.2f} s; {run.state}")
    print(f"  steps: {steps}")
    print(f"  policy step: {policy:.2f} s, ×{policy / floor:.1f} the raw floor")
    print(f"  workflows started: {sum(counts.values()):,} ({counts})")
    print(f"raw floor (instances + tasks, executemany, one transaction): {floor:.3f} s")
    again, again_wall, again_cpu = next_run
    print(f"the same file again, {waiting:,} reviews waiting (held, none started): "
          f"{again_wall:.2f} s (policy {again.timings.get('policy', 0.0):.2f} s), CPU "
          f"{again_cpu:.2f} s; {again.state}")
    print(f"My Tasks of an HR user, server time, median of {args.repeat} (min–max), "
          f"target ≤ 300 ms:")
    for label, figure in tasks.items():
        median, low, high = figure["ms"]
        found = "" if figure["found"] is None else f"  {figure['found']:,} found"
        print(f"  {label:58} {median:7.1f} ms  ({low:.1f}–{high:.1f}){found}")
    print("memory, each phase:")
    for name, measured in memory.items():
        print(f"  {name:22} {measured.shown()}")
    if args.json:
        args.json.write_text(json.dumps({
            "database": database, "people": args.people, "joiners": args.joiners,
            "run": {"wall": wall, "cpu": cpu, "state": run.state, "timings": run.timings},
            "next_run": {"wall": again_wall, "cpu": again_cpu, "state": again.state,
                         "timings": again.timings},
            "started": counts, "floor": floor, "tasks": tasks,
            "memory": {k: m.figures() for k, m in memory.items()}}, indent=2))
    # A run that started other than one review per joiner measured something else.
    if waiting != args.joiners or sum(counts.values()) != args.joiners:
        sys.exit(f"expected {args.joiners:,} {REVIEW} running, the run started {counts}")


if __name__ == "__main__":
    main()
