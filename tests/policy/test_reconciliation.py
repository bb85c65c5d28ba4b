"""Who may overwrite what (SPEC §6.4): a value HR computes and a person changed by hand is left
alone by later runs until someone decides — Approve (HR's value), Decline (the manual value,
protected: a later HR change marks it questioned), Postpone — unless the resource type discards
manual changes; an override hands the value back to HR at its expiry."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from headcount.config.loader import load_project_config
from headcount.config.model import Project
from headcount.jobs.evaluation import evaluate_policy
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.policy.orders import Order
from headcount.policy.reconciliation import computed_properties, reconcile
from headcount.project import ProjectContext
from headcount.repository import deployments, property_states, runs
from headcount.repository.database import begin_write
from headcount.repository.resources import get_resource
from headcount.repository.schema import audit_log, provisioning_orders
from headcount.repository.schema import runs as runs_table
from headcount.reviews.decisions import decide
from headcount.reviews.edits import EditRefused, EditResult, ManualEdit, edit_resource
from runorders import listed_orders
from webproject import make_project

RECORD = "Directory_UserRecord"
RT = "HR_Person_To_Directory_UserRecord"
KEY = "E00002"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def ctx(tmp_path: Path, db_url: str) -> Iterator[ProjectContext]:
    folder = make_project(tmp_path / "hr", db_url, people=200, synchronized=False)
    context = ProjectContext.open(folder, db_url)
    try:
        yield context
    finally:
        context.close()


def _project(ctx: ProjectContext) -> Project:
    return ctx.deployed()[1]


def _sync(ctx: ProjectContext, dry_run: bool = False, now: datetime = T0) -> runs.RunRecord:
    # Every run at a given instant: what the policy computes from dates never follows the clock.
    run = synchronize(ctx, SyncRequest("HR", dry_run=dry_run, now=now))
    assert run.state in (runs.SUCCEEDED, runs.WARNINGS), run.message
    return run


def _orders_of(ctx: ProjectContext, run_id: int, key: str = KEY) -> list[dict[str, object]]:
    """The changes of the record orders of a run for one target."""
    with ctx.engine.connect() as conn:
        rows = conn.execute(sa.select(provisioning_orders.c.changes).where(
            provisioning_orders.c.run_id == run_id, provisioning_orders.c.resource_type == RT,
            provisioning_orders.c.target_key == key)).scalars().all()
    return [json.loads(r) for r in rows]


def _value(ctx: ProjectContext, prop: str, key: str = KEY) -> object:
    with ctx.engine.connect() as conn:
        return get_resource(conn, RECORD, key).values.get(prop)


def _states(ctx: ProjectContext, key: str = KEY) -> dict[str, property_states.PropertyState]:
    with ctx.engine.connect() as conn:
        return property_states.of_resource(conn, RECORD, key)


def _set_hr_value(ctx: ProjectContext, key: str, column: str, value: str) -> None:
    path = ctx.directory / "data" / "hr_people.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="latin-1")), delimiter=";"))
    for row in rows:
        if row["EmployeeId"] == key:
            row[column] = value
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]), delimiter=";", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="latin-1")


def _set_hr_title(ctx: ProjectContext, key: str, title: str) -> None:
    _set_hr_value(ctx, key, "Title", title)


def _edit(ctx: ProjectContext, values: dict[str, object], reason: str = "promotion, HR late",
          expires_at: datetime | None = None, now: datetime = T0, key: str = KEY,
          entity_type: str = RECORD) -> EditResult:
    return edit_resource(ctx.engine, _project(ctx), ManualEdit(entity_type, key, values, reason,
                                                               expires_at), "alice", now)


def _redeploy_with(ctx: ProjectContext, old: str, new: str) -> None:
    policy = ctx.directory / "config" / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    with begin_write(ctx.engine) as conn:
        deployments.deploy(conn, load_project_config(ctx.directory))


def test_computed_properties_are_those_of_scalar_rules_computed_always(
        ctx: ProjectContext) -> None:
    computed = computed_properties(_project(ctx), RECORD)
    assert computed["Title"] == [RT]
    assert "Login" not in computed  # on_create: the people's once the record exists
    assert "PhoneNumber" not in computed  # no rule
    assert "Manager" not in computed  # a navigation (query rule)
    assert computed["EndDate"] == [RT]  # the validity's dates are computed too
    assert computed_properties(_project(ctx), "Directory_User")["State"] == [
        "HR_Person_To_Directory_User"]
    assert computed_properties(_project(ctx), "Directory_Title") == {}


def test_decline_protects_a_manual_title_then_hr_questions_it_and_approve_takes_hr(
        ctx: ProjectContext) -> None:
    _sync(ctx)
    hr_title = _value(ctx, "Title")
    assert hr_title

    edited = _edit(ctx, {"Title": "Chief Tester"})
    assert edited.states == {"Title": "unreconciled"}
    assert _value(ctx, "Title") == "Chief Tester"
    state = _states(ctx)["Title"]
    assert (state.state, state.manual_value, state.proposed_value, state.changed_by,
            state.reason, state.resource_type) == (
        "unreconciled", "Chief Tester", hr_title, "alice", "promotion, HR late", RT)

    # The next run leaves the manual value alone: the order, emptied, is not even listed.
    again = _sync(ctx)
    assert _orders_of(ctx, again.id) == []
    assert _value(ctx, "Title") == "Chief Tester"
    assert _states(ctx)["Title"].state == "unreconciled"

    decide(ctx.engine, _project(ctx), [state.id], "decline", "agreed with HR", "bob", T0)
    declined = _states(ctx)["Title"]
    assert (declined.state, declined.decided_by, declined.proposed_value) == (
        "protected", "bob", hr_title)

    _set_hr_title(ctx, KEY, "Head of Testing")
    _sync(ctx)
    assert _value(ctx, "Title") == "Chief Tester"
    questioned = _states(ctx)["Title"]
    assert (questioned.state, questioned.proposed_value) == ("questioned", "Head of Testing")

    result = decide(ctx.engine, _project(ctx), [questioned.id], "approve", "HR is right now",
                    "bob", T0)
    assert _value(ctx, "Title") == "Head of Testing"
    assert _states(ctx) == {}
    assert len(result.run_ids) == 1
    with ctx.engine.connect() as conn:
        view = get_resource(conn, RECORD, KEY)
        run = runs.get_run(conn, result.run_ids[0])
        audited = conn.execute(sa.select(audit_log.c.actor, audit_log.c.action,
                                         audit_log.c.reason)
                               .where(audit_log.c.target == f"{RECORD} {KEY} Title")
                               .order_by(audit_log.c.id)).all()
    assert (run.connector, run.mode, run.state) == ("Directory", "reconciliation",
                                                    runs.SUCCEEDED)
    last = view.history[-1]
    assert (last.kind, last.connection, json.loads(last.data or "{}")) == (
        "update", "reconciliation", {"Title": ["Chief Tester", "Head of Testing"]})
    manual = next(h for h in view.history if h.connection == "manual")
    assert json.loads(manual.data or "{}") == {"Title": [hr_title, "Chief Tester"]}
    assert [tuple(a) for a in audited] == [
        ("alice", "manual edit", "promotion, HR late"),
        ("bob", "reconciliation decline", "agreed with HR"),
        ("bob", "reconciliation approve", "HR is right now")]

    # HR owns the value again: it follows the file.
    _set_hr_title(ctx, KEY, "Director of Testing")
    _sync(ctx)
    assert _value(ctx, "Title") == "Director of Testing"


def test_a_manual_run_moves_the_directory_version_on_and_names_the_person(
        ctx: ProjectContext) -> None:
    _sync(ctx)
    with ctx.engine.connect() as conn:
        before = conn.execute(sa.text(
            "SELECT version FROM connector_state WHERE connector = 'Directory'")).scalar_one()
    edited = _edit(ctx, {"PhoneNumber": "+33 1 23 45 67 89", "Suspended": "yes"})
    assert edited.states == {"PhoneNumber": None, "Suspended": None}
    assert _states(ctx) == {}  # no rule computes them: they are the people's
    with ctx.engine.connect() as conn:
        after = conn.execute(sa.text(
            "SELECT version FROM connector_state WHERE connector = 'Directory'")).scalar_one()
        assert edited.run_id is not None
        run = runs.get_run(conn, edited.run_id)
        log = " ".join(m for _, _, m in runs.logs(conn, run.id))
    assert after == before + 1
    assert (run.connector, run.mode, run.reason) == ("Directory", "manual",
                                                     "promotion, HR late")
    assert "alice" in log
    assert _value(ctx, "Suspended") == "true"
    again = _sync(ctx)
    assert _orders_of(ctx, again.id) == []
    assert _value(ctx, "PhoneNumber") == "+33 1 23 45 67 89"


def test_postponed_values_stay_and_follow_the_new_computed_value(ctx: ProjectContext) -> None:
    _sync(ctx)
    _edit(ctx, {"Title": "Chief Tester"})
    state = _states(ctx)["Title"]
    decide(ctx.engine, _project(ctx), [state.id], "postpone", None, "bob", T0)
    _set_hr_title(ctx, KEY, "Head of Testing")
    _sync(ctx)
    postponed = _states(ctx)["Title"]
    assert (postponed.state, postponed.proposed_value) == ("postponed", "Head of Testing")
    assert _value(ctx, "Title") == "Chief Tester"


def test_editing_back_to_the_computed_value_ends_the_reconciliation(ctx: ProjectContext
                                                                    ) -> None:
    _sync(ctx)
    hr_title = _value(ctx, "Title")
    _edit(ctx, {"Title": "Chief Tester"})
    edited = _edit(ctx, {"Title": hr_title}, reason="typo")
    assert edited.states == {"Title": None}
    assert _states(ctx) == {}


def test_an_override_holds_until_its_expiry_then_hr_wins_again(ctx: ProjectContext) -> None:
    _sync(ctx)
    hr_title = _value(ctx, "Title")
    expiry = T0 + timedelta(days=10)
    edited = _edit(ctx, {"Title": "Interim Head"}, expires_at=expiry)
    assert edited.states == {"Title": "override"}

    _sync(ctx, now=T0 + timedelta(days=1))
    evaluate_policy(ctx, "HR", now=expiry - timedelta(seconds=1))
    assert _value(ctx, "Title") == "Interim Head"
    assert _states(ctx)["Title"].state == "override"

    run = evaluate_policy(ctx, "HR", now=expiry)
    assert _orders_of(ctx, run.id)[0]["values"] == {"Title": ["Interim Head", hr_title]}
    assert _value(ctx, "Title") == hr_title
    assert _states(ctx) == {}


def test_an_expired_override_that_hr_agrees_with_is_simply_forgotten(ctx: ProjectContext
                                                                     ) -> None:
    _sync(ctx)
    expiry = T0 + timedelta(days=10)
    _edit(ctx, {"Title": "Interim Head"}, expires_at=expiry)
    _set_hr_title(ctx, KEY, "Interim Head")
    _sync(ctx, now=T0 + timedelta(days=1))
    assert _states(ctx)["Title"].state == "override"  # HR agrees: no order, nothing dropped
    run = evaluate_policy(ctx, "HR", now=expiry + timedelta(days=1))
    assert _orders_of(ctx, run.id) == []
    assert _states(ctx) == {}
    assert _value(ctx, "Title") == "Interim Head"


def test_discard_manual_changes_lets_the_computed_value_win(ctx: ProjectContext) -> None:
    _sync(ctx)
    hr_title = _value(ctx, "Title")
    _edit(ctx, {"Title": "Chief Tester"})
    assert _states(ctx)["Title"].state == "unreconciled"
    _redeploy_with(ctx, "  - identifier: HR_Person_To_Directory_UserRecord\n",
                   "  - identifier: HR_Person_To_Directory_UserRecord\n"
                   "    discard_manual_changes: true\n")
    run = _sync(ctx)
    assert _orders_of(ctx, run.id)[0]["values"] == {"Title": ["Chief Tester", hr_title]}
    assert _value(ctx, "Title") == hr_title
    assert _states(ctx) == {}

    # From now on an edit is written but holds nothing: HR overwrites it at the next run.
    edited = _edit(ctx, {"Title": "Chief Tester"})
    assert edited.discarded == ["Title"]
    assert _states(ctx) == {}
    _sync(ctx)
    assert _value(ctx, "Title") == hr_title


def test_a_dry_run_lists_the_orders_of_the_real_run_with_states_present(
        ctx: ProjectContext) -> None:
    _sync(ctx)
    _edit(ctx, {"Title": "Chief Tester"})
    _edit(ctx, {"Title": "Override"}, key="E00003", expires_at=T0 + timedelta(days=1))
    protected = _states(ctx)["Title"]
    decide(ctx.engine, _project(ctx), [protected.id], "decline", None, "bob", T0)
    next_day = ctx.directory / "data" / "next_day"
    for name in ("hr_people.csv", "hr_organizations.csv", "hr_sites.csv"):
        shutil.copyfile(next_day / name, ctx.directory / "data" / name)
    _set_hr_title(ctx, KEY, "Head of Testing")
    later = T0 + timedelta(days=2)  # the override of E00003 has expired

    dry = _sync(ctx, dry_run=True, now=later)
    assert _states(ctx)["Title"].state == "protected"  # rolled back with the dry run
    assert _states(ctx, "E00003")["Title"].state == "override"
    real = _sync(ctx, now=later)
    assert dry.counters["orders"] == real.counters["orders"]

    assert listed_orders(ctx.engine, dry.id) == listed_orders(ctx.engine, real.id)
    assert _states(ctx)["Title"].state == "questioned"
    assert _value(ctx, "Title") == "Chief Tester"
    assert _states(ctx, "E00003") == {}
    assert _value(ctx, "Title", "E00003") != "Override"


def test_a_deleted_target_takes_its_states_along_once_its_retention_is_over(
        ctx: ProjectContext) -> None:
    _sync(ctx)
    _edit(ctx, {"Title": "Chief Tester"})
    path = ctx.directory / "data" / "hr_people.csv"
    lines = path.read_text(encoding="latin-1").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith(f"{KEY};")),
                    encoding="latin-1")
    run = _sync(ctx)
    assert run.counters["orders"][RT]["deleted"] == 1
    assert _value(ctx, "Title") == "Chief Tester"  # retained, marked left
    assert _states(ctx)["Title"].state == "unreconciled"  # kept: the person may come back
    evaluate_policy(ctx, "HR", now=T0 + timedelta(days=60))
    with ctx.engine.connect() as conn:
        assert conn.execute(sa.text(
            "SELECT count(*) FROM resources WHERE entity_type = :e AND key = :k"),
            {"e": RECORD, "k": KEY}).scalar_one() == 0
    assert _states(ctx) == {}


def test_edits_are_checked_against_the_property_types(ctx: ProjectContext) -> None:
    _sync(ctx)
    cases: list[tuple[dict[str, object], str]] = [
        ({"ContractStartDate": "31/12/2026"}, "YYYY-MM-DD"),
        ({"Suspended": "perhaps"}, "true or false"),
        ({"Manager": "E00001"}, "navigation"),
        ({"RecordIdentifier": "X"}, "key"),
        ({"Titel": "X"}, "did you mean `Title`"),
        ({}, "at least one value"),
    ]
    for values, message in cases:
        with pytest.raises(EditRefused, match=message):
            _edit(ctx, values)
    with pytest.raises(EditRefused, match="reason"):
        _edit(ctx, {"Title": "X"}, reason="  ")
    with pytest.raises(EditRefused, match="future"):
        _edit(ctx, {"Title": "X"}, expires_at=T0)
    with pytest.raises(EditRefused, match="HR computes"):
        _edit(ctx, {"PhoneNumber": "1"}, expires_at=T0 + timedelta(days=1))
    with pytest.raises(EditRefused, match="HR files"):
        _edit(ctx, {"Title": "X"}, entity_type="HR_Person")
    assert _states(ctx) == {}
    with ctx.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(runs_table).where(
            runs_table.c.mode == "manual")).scalar_one() == 0


def _order(kind: str, key: str, values: dict[str, tuple[object, object]],
           links: dict[str, tuple[list[str], list[str]]] | None = None,
           establishes: bool = False) -> Order:
    order = Order(RT, kind, RECORD, key, key, values, links or {})  # type: ignore[arg-type]
    order.establishes = establishes
    return order


def _state(conn: sa.Connection, key: str, state: property_states.State, manual: str,
           proposed: str, expires_at: datetime | None = None, prop: str = "Title") -> None:
    property_states.create(conn, RECORD, key, prop, RT, state, manual, proposed, "why",
                           expires_at, "alice", T0)


def test_reconcile_meets_each_state_as_the_rules_say(ctx: ProjectContext) -> None:
    project = _project(ctx)
    with begin_write(ctx.engine) as conn:
        _state(conn, "K1", "unreconciled", "manual", "hr")
        _state(conn, "K2", "protected", "manual", "hr")
        _state(conn, "K3", "protected", "manual", "hr")
        _state(conn, "K4", "override", "manual", "hr", T0 + timedelta(days=1))
        _state(conn, "K5", "override", "manual", "hr", T0)
        _state(conn, "K6", "questioned", "manual", "hr")
        _state(conn, "K7", "postponed", "manual", "hr")
        _state(conn, "K8", "unreconciled", "manual", "hr")
        _state(conn, "K9", "override", "manual", "hr", T0 - timedelta(days=1))  # no order
        _state(conn, "K10", "unreconciled", "manual", "hr")
        _state(conn, "K11", "unreconciled", "manual", "hr")
        _state(conn, "K12", "protected", "manual", "hr")
        retained = _order("deleted", "K12", {})
        retained.retain_until = T0.date() + timedelta(days=30)
        orders = [
            _order("modified", "K1", {"Title": ("manual", "hr2"), "LastName": ("A", "B")}),
            _order("modified", "K2", {"Title": ("manual", "hr2")}),
            _order("modified", "K3", {"Title": ("manual", "hr")}),
            _order("modified", "K4", {"Title": ("manual", "hr2")}),
            _order("modified", "K5", {"Title": ("manual", "hr2")}),
            _order("modified", "K6", {"Title": ("manual", "hr3")},
                   links={"Manager": ([], ["E1"])}),
            _order("modified", "K7", {"Title": ("manual", "hr2")}, establishes=True),
            _order("deleted", "K8", {"Title": ("manual", None)}),
            _order("added", "K10", {"Title": (None, "hr")}),
            _order("modified", "OTHER", {"Title": ("x", "y")}),
            retained,
        ]
        out = reconcile(conn, project, orders, T0)
        after = {s.resource_key: s for s in property_states.every(conn)}
        transaction = conn.get_transaction()
        assert transaction is not None
        transaction.rollback()
    kept = {(o.kind, o.target_key): o for o in out}
    assert kept[("modified", "K1")].values == {"LastName": ("A", "B")}
    assert ("modified", "K2") not in kept  # emptied: dropped
    assert ("modified", "K3") not in kept
    assert ("modified", "K4") not in kept  # the override runs until tomorrow
    assert kept[("modified", "K5")].values == {"Title": ("manual", "hr2")}  # expired now
    assert kept[("modified", "K6")].values == {}  # kept for its links
    assert kept[("modified", "K7")].establishes  # kept: it moves ownership
    assert ("deleted", "K8") in kept
    assert ("added", "K10") in kept
    assert kept[("modified", "OTHER")].values == {"Title": ("x", "y")}
    assert orders[0].values["Title"] == ("manual", "hr2")  # the orders given are not changed
    assert {k: (s.state, s.proposed_value) for k, s in after.items()} == {
        "K1": ("unreconciled", "hr2"),
        "K2": ("questioned", "hr2"),
        "K3": ("protected", "hr"),  # HR computes what was proposed: nothing new to question
        "K4": ("override", "hr2"),
        "K6": ("questioned", "hr3"),
        "K7": ("postponed", "hr2"),
        "K11": ("unreconciled", "hr"),
        "K12": ("protected", "hr"),  # retained: its source may come back
    }


def test_reconcile_with_discard_manual_changes_keeps_every_change(ctx: ProjectContext
                                                                  ) -> None:
    _redeploy_with(ctx, "  - identifier: HR_Person_To_Directory_UserRecord\n",
                   "  - identifier: HR_Person_To_Directory_UserRecord\n"
                   "    discard_manual_changes: true\n")
    project = _project(ctx)
    with begin_write(ctx.engine) as conn:
        _state(conn, "K1", "protected", "manual", "hr")
        out = reconcile(conn, project, [_order("modified", "K1", {"Title": ("manual", "hr2")})],
                        T0)
        assert property_states.every(conn) == []
    assert out[0].values == {"Title": ("manual", "hr2")}



def test_a_held_value_alone_does_not_open_a_dated_record(ctx: ProjectContext) -> None:
    _sync(ctx)
    _edit(ctx, {"Title": "Chief Tester"})
    # A position date in the future, nothing else moved: no new record is due.
    _set_hr_value(ctx, KEY, "PositionStartDate", "15/01/2027")
    run = _sync(ctx)
    assert [o for o in _orders_of(ctx, run.id, f"{KEY}-20270115")] == []
