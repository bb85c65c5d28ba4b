"""HR → identities through workflows (SPEC §7.2): the sample's next day, with the workforce
template's workflows, on SQLite and PostgreSQL. Employee joiners wait for one HR review,
contractors are created without one, movers update, leavers end; decisions give exactly the
approved changes, named by workflow and approver; a dry run lists the real run's workflows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from headcount.config.loader import load_project_config
from headcount.jobs.blocked import previewed_total, resume
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import deployments, runs, users
from headcount.repository.provenance import provenance
from headcount.repository.resources import get_resource
from headcount.repository.schema import changes, resources, workflow_instances
from headcount.samples import hrfiles
from headcount.workflows.engine import decide_task
from headcount.workflows.tasks import inbox
from webproject import make_project

PEOPLE = 1000
WORKFLOWS = Path(hrfiles.__file__).with_name("workflows.yaml")


def _instances(ctx: ProjectContext, run_id: int) -> list[tuple[str, str, str, str]]:
    """The workflows a run started (or planned): workflow, subject, state, change set."""
    with ctx.engine.connect() as conn:
        rows = conn.execute(sa.select(
            workflow_instances.c.workflow, workflow_instances.c.subject_key,
            workflow_instances.c.state, workflow_instances.c.change_set).where(
            workflow_instances.c.started_by_run == run_id)
            .order_by(workflow_instances.c.id)).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def _keys(ctx: ProjectContext, entity_type: str) -> set[str]:
    with ctx.engine.connect() as conn:
        return set(conn.execute(sa.select(resources.c.key).where(
            resources.c.entity_type == entity_type)).scalars())


@pytest.fixture
def next_day(tmp_path: Path, db_url: str) -> Iterator[ProjectContext]:
    """Day one loaded directly (a first load starts no workflow), the next day's files in
    place."""
    folder = make_project(tmp_path / "hr", db_url, people=PEOPLE, extra=[WORKFLOWS])
    day_one = hrfiles.generate_day_one(PEOPLE)
    hrfiles.write_dataset(hrfiles.generate_next_day(day_one), folder / "data")
    ctx = ProjectContext.open(folder, db_url)
    with ctx.engine.connect() as conn:
        started = conn.execute(sa.select(sa.func.count()).select_from(workflow_instances))
        assert started.scalar() == 0
    try:
        yield ctx
    finally:
        ctx.close()


def test_next_day_runs_through_workflows(next_day: ProjectContext) -> None:
    ctx = next_day
    day_one = hrfiles.generate_day_one(PEOPLE)
    tomorrow = hrfiles.generate_next_day(day_one)
    before = {p.employee_id for p in day_one.people}
    joiners = {p.employee_id: p.contract_type for p in tomorrow.people
               if p.employee_id not in before}
    leavers = before - {p.employee_id for p in tomorrow.people}
    # A contractor back under a new key with the same names and birth date: a re-key of the
    # identity that left (SPEC §8), neither a joiner nor a leaver.
    gone = {(p.first_name, p.last_name, p.birth_date): p.employee_id for p in day_one.people
            if p.employee_id in leavers}
    rekeyed = {gone[(p.first_name, p.last_name, p.birth_date)]: p.employee_id
               for p in tomorrow.people if p.employee_id in joiners
               and (p.first_name, p.last_name, p.birth_date) in gone}
    joiners = {k: v for k, v in joiners.items() if k not in rekeyed.values()}
    leavers -= set(rekeyed)
    external = {c[0] for c in hrfiles.CONTRACT_TYPE_ROWS if c[2] == "true"}
    employees = {k for k, kind in joiners.items() if kind not in external}
    contractors = {k for k, kind in joiners.items() if kind in external}
    assert employees
    assert contractors
    assert leavers
    assert rekeyed

    dry = synchronize(ctx, SyncRequest("HR", dry_run=True))
    run = synchronize(ctx, SyncRequest("HR"))
    assert run.state in (runs.SUCCEEDED, runs.WARNINGS), run.message
    planned, started = _instances(ctx, dry.id), _instances(ctx, run.id)
    # The dry run lists exactly the workflows of the real run: kind, subject, change set.
    assert [(w, s, c) for w, s, _, c in planned] == [(w, s, c) for w, s, _, c in started]
    assert {state for _, _, state, _ in planned} == {"planned"}
    assert dry.counters["workflow_digest"] == run.counters["workflow_digest"]
    by_subject = {s: (w, state) for w, s, state, _ in started}

    # Employee joiners wait for one HR review; nothing of them is in the repository yet.
    for key in employees:
        assert by_subject[key] == ("Directory_User_NewEmployee", "running")
    assert not employees & _keys(ctx, "Directory_User")
    project = ctx.deployed()[1]
    with ctx.engine.connect() as conn:
        hr = users.find_user(conn, "hr")
        assert hr is not None
        total, tasks = inbox(conn, project, hr, limit=500)
    waiting = {t.subject_key: t for t in tasks}
    assert set(waiting) == employees | set(rekeyed)
    assert total == len(employees) + len(rekeyed)
    # Contractors are created without review, in the run.
    for key in contractors:
        assert by_subject[key] == ("Directory_User_NewContractor", "completed")
    assert contractors <= _keys(ctx, "Directory_User")
    # Leavers end (kept for the retention, marked left); movers update.
    for key in leavers:
        assert by_subject[key] == ("Directory_User_EndOfContract", "completed")
        with ctx.engine.connect() as conn:
            assert get_resource(conn, "Directory_User", key).values["State"] == "left"
    assert any(w == "Directory_User_UpdateFromHR" for w, _ in by_subject.values())
    # A conversion waits for its re-key review: no second identity meanwhile.
    for old_key, new_key in rekeyed.items():
        assert by_subject[old_key] == ("Directory_User_ReKey", "running")
        assert new_key not in _keys(ctx, "Directory_User")

    # One approved, one declined, each with a comment.
    approved, declined = sorted(employees)[:2]
    decided = decide_task(ctx.engine, project, waiting[approved].id, hr, "Approve",
                          comment="Welcome aboard")
    assert decided.instance_state == "completed"
    assert decided.run_id is not None
    decide_task(ctx.engine, project, waiting[declined].id, hr, "Decline",
                comment="The offer was withdrawn")
    assert approved in _keys(ctx, "Directory_User")
    assert declined not in _keys(ctx, "Directory_User")
    with ctx.engine.connect() as conn:
        persisted = runs.get_run(conn, decided.run_id)
        history = conn.execute(sa.select(changes.c.connection).where(
            changes.c.run_id == decided.run_id, changes.c.entity_type == "Directory_User",
            changes.c.resource_key == approved)).scalars().all()
        record = get_resource(conn, "Directory_UserRecord", approved)
    assert history
    assert all(h is not None and h.startswith("workflow Directory_User_NewEmployee #")
                           for h in history)
    assert "approved by hr" in (persisted.reason or "")
    assert "Welcome aboard" in (
        persisted.reason or "")
    assert record.values["Login"]
    # The provenance of a value names the workflow, who approved it and why, the rule, and the
    # HR line it came from.
    with ctx.engine.connect() as conn:
        told = {v.name: v for v in provenance(conn, project, "Directory_UserRecord",
                                              approved).values}
    title = told["Title"]
    assert title.by == "workflow"
    assert title.text.startswith("set by workflow Directory_User_NewEmployee #")
    assert "Review approved by hr on " in title.text
    assert "Welcome aboard" in title.text
    assert "rule `HR_Person_To_Directory_UserRecord.Title`" in title.text
    assert f"from HR_Person {approved} whose Title was set by HR file hr_people.csv line" \
        in title.text

    # Twice equals once: the same file again starts nothing — the waiting ones are held, the
    # declined one is not proposed again until HR changes it — and orders nothing new.
    again = synchronize(ctx, SyncRequest("HR"))
    assert _instances(ctx, again.id) == []
    assert "orders" not in again.counters or not again.counters["orders"], again.counters
    assert again.counters.get("workflows_held") == len(employees) + len(rekeyed) - 1


def test_a_waiting_workflow_shows_what_hr_says_since(next_day: ProjectContext) -> None:
    """HR changes a joiner's title while their creation waits: the workflow is not
    overwritten, and its reviewer is shown what HR says now."""
    ctx = next_day
    run = synchronize(ctx, SyncRequest("HR"))
    subject = next(s for w, s, state, _ in _instances(ctx, run.id)
                   if w == "Directory_User_NewEmployee")
    people = ctx.directory / "data" / "hr_people.csv"
    text = people.read_text(encoding="latin-1")
    lines = text.splitlines()
    header = lines[0].split(";")
    title = header.index("Title")
    for i, line in enumerate(lines):
        cells = line.split(";")
        if cells[0] == subject:
            cells[title] = "Directeur des rêves"
            lines[i] = ";".join(cells)
    people.write_text("\n".join(lines) + "\n", encoding="latin-1")
    later = synchronize(ctx, SyncRequest("HR"))
    assert later.state in (runs.SUCCEEDED, runs.WARNINGS), later.message
    with ctx.engine.connect() as conn:
        row = conn.execute(sa.select(workflow_instances.c.notes, workflow_instances.c.state)
                           .where(workflow_instances.c.subject_key == subject,
                                  workflow_instances.c.started_by_run == run.id)).one()
    assert row.state == "running"
    note = json.loads(row.notes)
    assert note["run_id"] == later.id
    assert "Directeur des rêves" in json.dumps(note["changes"], ensure_ascii=False)


def test_a_blocked_run_previews_its_workflows_and_resuming_starts_them(
        next_day: ProjectContext) -> None:
    """A run blocked by a threshold lists the workflows resuming would start; resuming starts
    exactly those, and nothing of the preview is left acting."""
    ctx = next_day
    hr = ctx.directory / "config" / "hr.yaml"
    hr.write_text(hr.read_text(encoding="utf-8").replace(
        "    connections:", "    thresholds: {max_inserted: 1}\n    connections:", 1),
        encoding="utf-8")
    with ctx.engine.begin() as conn:
        deployments.deploy(conn, load_project_config(ctx.directory))
    blocked = synchronize(ctx, SyncRequest("HR"))
    assert blocked.state == runs.BLOCKED, blocked.message
    previewed = _instances(ctx, blocked.id)
    assert previewed
    assert {state for _, _, state, _ in previewed} == {"planned"}
    resumed = resume(ctx, blocked.id, "the joiners are expected", actor="op",
                     expected_orders=previewed_total(blocked))
    assert resumed.state in (runs.SUCCEEDED, runs.WARNINGS), resumed.message
    started = _instances(ctx, blocked.id)
    assert [(w, s, c) for w, s, _, c in started] == [(w, s, c) for w, s, _, c in previewed]
    assert "planned" not in {state for _, _, state, _ in started}
    assert resumed.counters["workflow_digest"] == blocked.counters["workflow_digest"]


def test_the_provisioning_threshold_counts_workflows(next_day: ProjectContext) -> None:
    """Too many workflows for the identities there are block the run, as too many orders do."""
    ctx = next_day
    policy = ctx.directory / "config" / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    for rt in ("HR_Person_To_Directory_User", "HR_Person_To_Directory_UserRecord"):
        text = text.replace(f"  - identifier: {rt}\n",
                            f"  - identifier: {rt}\n    max_changes_pct: 0.5\n"
                            "    threshold_min_orders: 1\n", 1)
    policy.write_text(text, encoding="utf-8")
    with ctx.engine.begin() as conn:
        deployments.deploy(conn, load_project_config(ctx.directory))
    run = synchronize(ctx, SyncRequest("HR"))
    assert run.state == runs.BLOCKED
    assert "HR_Workflows:" in (run.message or "")
    assert "workflows for" in (run.message or "")


def test_a_conversion_is_one_re_key_task_and_one_identity_after_approval(
        next_day: ProjectContext) -> None:
    """A contractor gone from the file and back the same day as an employee under a new key
    (same names, same birth date): one re-key task, never a second identity; approved, the
    identity keeps its identifier and e-mail and takes the new record."""
    ctx = next_day
    day_one = hrfiles.generate_day_one(PEOPLE)
    tomorrow = hrfiles.generate_next_day(day_one)
    after = {p.employee_id for p in tomorrow.people}
    gone = {(p.first_name, p.last_name, p.birth_date): p for p in day_one.people
            if p.employee_id not in after}
    old, new = next((gone[(p.first_name, p.last_name, p.birth_date)], p)
                    for p in tomorrow.people if (p.first_name, p.last_name, p.birth_date) in gone)
    assert old.contract_type in ("contractor", "interim")
    project = ctx.deployed()[1]
    with ctx.engine.connect() as conn:
        email = get_resource(conn, "Directory_UserRecord", old.employee_id).values["Email"]
    run = synchronize(ctx, SyncRequest("HR"))
    ((workflow, _, state, _),) = [i for i in _instances(ctx, run.id)
                                        if i[1] == old.employee_id]
    assert (workflow, state) == ("Directory_User_ReKey", "running")
    with ctx.engine.connect() as conn:
        hr = users.find_user(conn, "hr")
        assert hr is not None
        _, tasks = inbox(conn, project, hr, subject=old.employee_id, limit=10)
    (task,) = tasks
    assert new.employee_id not in _keys(ctx, "Directory_User")
    decided = decide_task(ctx.engine, project, task.id, hr, "Approve",
                          comment="Same person: converted to a permanent contract")
    assert decided.instance_state == "completed"
    identities = _keys(ctx, "Directory_User")
    assert old.employee_id in identities
    assert new.employee_id not in identities
    with ctx.engine.connect() as conn:
        identity = get_resource(conn, "Directory_User", old.employee_id)
        record = get_resource(conn, "Directory_UserRecord", new.employee_id)
        ended = get_resource(conn, "Directory_UserRecord", old.employee_id)
    assert identity.values["EmployeeId"] == new.employee_id
    assert identity.values["Identifier"] == old.employee_id
    assert [k for _, k, _ in record.links["User"]] == [old.employee_id]
    assert record.values["Email"] == email
    assert ended.values["EndDate"] is not None
    assert ended.values["EndDate"] < (record.values["StartDate"] or "9999")
    # The same file again: nothing to do.
    again = synchronize(ctx, SyncRequest("HR"))
    assert [i for i in _instances(ctx, again.id) if i[1] == old.employee_id] == []
    assert not again.counters.get("orders"), again.counters
