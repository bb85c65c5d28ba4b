"""Edges of the identity lifecycle found by a review of the policy layer — dated records of
look-alike employee ids, a person back within their retention, incremental runs and their
resume, unique values kept by their targets, the day a retention ends — each a bug that was
proven here first, then fixed."""

from __future__ import annotations

import polars as pl
import pytest
import sqlalchemy as sa

from datedproject import DAY_ONE, RECORDS, USERS, Scenario, at
from headcount.config.loader import load_project_config
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.policy.unique import UniqueValues
from headcount.repository import deployments, runs
from headcount.repository.apply import apply_changes
from headcount.repository.database import begin_write
from headcount.repository.naming import Naming
from headcount.repository.schema import scheduled_deletions
from headcount.sync.changes import RESOURCE_SCHEMA, ChangeSet


def _policy(s: Scenario, old: str, new: str) -> None:
    policy = s.folder / "config" / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    assert old in text
    policy.write_text(text.replace(old, new, 1), encoding="utf-8")
    with begin_write(s.ctx.engine) as conn:
        deployments.deploy(conn, load_project_config(s.folder))


def _incremental(s: Scenario) -> None:
    hr = s.folder / "config" / "hr.yaml"
    hr.write_text(hr.read_text(encoding="utf-8").replace(
        "        path: data/hr_people.csv\n",
        "        path: data/hr_people.csv\n        path_incremental: data/hr_people_delta.csv\n",
        1), encoding="utf-8")
    with begin_write(s.ctx.engine) as conn:
        deployments.deploy(conn, load_project_config(s.folder))


def _delta(s: Scenario, rows: list[str]) -> None:
    header = (s.folder / "data" / "hr_people.csv").read_text(encoding="latin-1").splitlines()[0]
    (s.folder / "data" / "hr_people_delta.csv").write_text(
        "\n".join([header, *rows]) + "\n", encoding="latin-1")


def _scheduled(s: Scenario) -> list[str]:
    with s.ctx.engine.connect() as conn:
        return sorted(conn.execute(sa.select(scheduled_deletions.c.resource_key).where(
            scheduled_deletions.c.resource_type == RECORDS)).scalars())


# --- Unique values ----------------------------------------------------------------------------

def test_a_target_keeps_its_own_number_after_a_higher_one_was_issued_in_the_run() -> None:
    mails = UniqueValues(["jean.dupont@x", "jean.dupont2@x"], [], [])
    assert mails.allocate(["jean.dupont@x"], "", "", None)[0] == "jean.dupont3@x"
    # The target holding jean.dupont2 is evaluated next: it keeps its value.
    assert mails.allocate(["jean.dupont@x"], "", "", "jean.dupont2@x")[0] == "jean.dupont2@x"


def test_an_always_unique_email_is_not_renumbered_when_a_homonym_joins(
        scenario: Scenario) -> None:
    s = scenario
    _policy(s, "'@headcount.example')\",\n         when: on_create, unique: true}",
            "'@headcount.example')\",\n         unique: true}")
    s.file(list(DAY_ONE))
    s.sync("2026-11-26T08:00:00")
    assert s.values("Directory_UserRecord", "E4")["Email"] == "jean.dupont2@headcount.example"
    # A third Jean Dupont; his key (E12) sorts before E3 and E4.
    s.file([*DAY_ONE, ("E12", "Jean", "Dupont", "Consultant", "IT", "PAR", "E1", "permanent",
                       "27/11/2026", "", "")])
    run = s.sync("2026-11-27T08:00:00")
    assert s.values("Directory_UserRecord", "E12")["Email"] == "jean.dupont3@headcount.example"
    assert s.orders(run, RECORDS) == {"added": ["E12"]}
    assert s.values("Directory_UserRecord", "E4")["Email"] == "jean.dupont2@headcount.example"


def test_a_held_prefixed_login_blocks_its_core(scenario: Scenario) -> None:
    s = scenario
    # E4's record exists already (migrated), with a contractor-style login.
    with begin_write(s.ctx.engine) as conn:
        apply_changes(conn, ChangeSet(pl.DataFrame([{
            "kind": "insert", "entity_type": "Directory_UserRecord", "key": "E4",
            "data": '{"RecordIdentifier": "E4", "Login": "x-jdupont"}', "after": None,
            "hash": 0, "connection": "manual", "line": None}], schema=RESOURCE_SCHEMA)), 0,
                      Naming(deployments.require_latest(conn)[1]))
    s.file(list(DAY_ONE))
    s.sync("2026-11-26T08:00:00")
    assert s.values("Directory_UserRecord", "E4")["Login"] == "x-jdupont"  # kept
    # x-jdupont and jdupont are the same login (docs/configuration.md, unique values).
    assert s.values("Directory_UserRecord", "E3")["Login"] != "jdupont"


# --- Dated records and retention ----------------------------------------------------------------

def test_a_leaver_takes_only_their_own_records_along(scenario: Scenario) -> None:
    s = scenario
    k1 = ("K-10000001", "Karl", "Klein", "Analyst", "FIN", "PAR", "E2", "permanent",
          "01/01/2020", "", "")
    k2 = ["K-10000002", "Kim", "Kahn", "Analyst", "FIN", "PAR", "E2", "permanent",
          "01/01/2020", "", ""]
    s.file([*DAY_ONE, k1, tuple(k2)])
    s.sync("2026-11-26T08:00:00")
    k2[3], k2[10] = "Lead Analyst", "15/12/2026"  # K-10000002 moves on 15 December
    s.file([*DAY_ONE, k1, tuple(k2)])
    s.sync("2026-11-27T08:00:00")
    assert s.values("Directory_UserRecord", "K-10000002")["EndDate"] == "2026-12-14"
    s.file([*DAY_ONE, tuple(k2)])  # K-10000001 leaves the file
    run = s.sync("2026-11-28T08:00:00")
    assert s.orders(run, RECORDS) == {"deleted": ["K-10000001"]}
    assert s.values("Directory_UserRecord", "K-10000002")["EndDate"] == "2026-12-14"
    assert "K-10000002" not in _scheduled(s)


def test_a_source_back_within_its_retention_keeps_its_records(scenario: Scenario) -> None:
    s = scenario
    s.file(list(DAY_ONE))
    s.sync("2026-11-26T08:00:00")
    people = {p[0]: list(p) for p in DAY_ONE}
    people["E8"][3], people["E8"][10] = "Lead Analyst", "15/12/2026"
    s.file([tuple(p) for p in people.values()])
    s.sync("2026-11-27T08:00:00")
    s.file([tuple(p) for k, p in people.items() if k != "E8"])
    s.sync("2026-12-16T08:00:00")
    assert _scheduled(s) == ["E8", "E8-20261215"]
    s.file([tuple(p) for p in people.values()])  # back, the same row as before
    s.sync("2026-12-20T08:00:00")
    assert s.state("E8") == "active"
    assert _scheduled(s) == []  # "a source that comes back first takes it back"
    s.evaluate("2027-01-16T08:00:00")
    assert {"E8", "E8-20261215"} <= set(s.keys("Directory_UserRecord"))
    assert s.values("Directory_UserRecord", "E8")["Title"] == "Analyst"  # history unchanged


def test_a_retained_target_is_purged_on_its_day_where_it_was_scheduled(
        scenario: Scenario) -> None:
    s = scenario
    s.file(list(DAY_ONE))
    s.sync("2026-11-26T08:00:00")
    s.file([p for p in DAY_ONE if p[0] != "E8"])
    s.sync("2026-12-16T08:00:00")   # kept until 2027-01-15 (Europe/Paris)
    s.evaluate("2027-01-14T23:30:00")  # 00:30 on the 15th in Paris
    assert "E8" not in s.keys("Directory_User")


# --- Incremental runs and resume ------------------------------------------------------------------

def test_an_incremental_run_that_changes_nothing_evaluates_nothing(scenario: Scenario) -> None:
    s = scenario
    _incremental(s)
    s.file(list(DAY_ONE))
    s.sync("2026-11-26T08:00:00")
    _delta(s, [])
    run = synchronize(s.ctx, SyncRequest("HR", mode="incremental",
                                         now=at("2026-11-27T08:00:00")))
    assert run.state in (runs.SUCCEEDED, runs.WARNINGS), run.message
    assert s.state("E7") == "active"  # as when the delta changes someone else
    assert run.counters.get("orders", {}) == {}


def test_a_resumed_incremental_run_applies_the_orders_it_was_blocked_for(
        scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime as real

    import headcount.policy.job as job
    from headcount.jobs.blocked import previewed_total, resume

    s = scenario
    _incremental(s)
    _policy(s, "    target: Directory_UserRecord\n",
            "    target: Directory_UserRecord\n    approvals_required: true\n")
    s.file(list(DAY_ONE))
    s.sync("2026-11-26T08:00:00")
    row = next(r for r in (s.folder / "data" / "hr_people.csv").read_text(
        encoding="latin-1").splitlines() if r.startswith("E3;"))
    _delta(s, [row.replace(";Analyst;", ";Auditor;")])
    run = synchronize(s.ctx, SyncRequest("HR", mode="incremental",
                                         now=at("2026-11-27T08:00:00")))
    assert run.state == runs.BLOCKED, run.message

    class Clock(real):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def]
            return at("2026-11-27T08:00:00")

    monkeypatch.setattr(job, "datetime", Clock)
    assert run.counters["orders"] == {RECORDS: {"modified": 1}}  # the preview
    resumed = resume(s.ctx, run.id, "approved", expected_orders=previewed_total(run))
    assert s.values("Directory_UserRecord", "E3")["Title"] == "Auditor"
    assert resumed.counters["orders"] == {RECORDS: {"modified": 1}}
    assert s.state("E7") == "active"
    assert USERS not in resumed.counters["orders"]


# --- Ownership ------------------------------------------------------------------------------------

def test_two_sources_of_one_run_never_own_the_same_target(scenario: Scenario) -> None:
    from headcount.fulfillment.direct import owned

    s = scenario
    _policy(s, "    target: Directory_Site\n    correlation: [{source: [Code], target: "
               "[Identifier]}]\n",
            "    target: Directory_Site\n    correlation: [{source: [Name], target: "
            "[DisplayName]}]\n")
    (s.folder / "data" / "hr_sites.csv").write_text(
        "Code,Name,City,Country,TimeZone\nPAR,Paris,Paris,FR,Europe/Paris\n"
        "PA2,Paris,Paris,FR,Europe/Paris\nTYO,Tokyo,Tokyo,JP,Asia/Tokyo\n", encoding="utf-8")
    with begin_write(s.ctx.engine) as conn:
        apply_changes(conn, ChangeSet(pl.DataFrame([{
            "kind": "insert", "entity_type": "Directory_Site", "key": "OLD",
            "data": '{"Identifier": "OLD", "DisplayName": "Paris"}', "after": None,
            "hash": 0, "connection": "manual", "line": None}], schema=RESOURCE_SCHEMA)), 0,
                      Naming(deployments.require_latest(conn)[1]))
    s.file(list(DAY_ONE))
    s.sync("2026-11-26T08:00:00")
    with s.ctx.engine.connect() as conn:
        sites = owned(conn)["HR_Site_To_Directory_Site"]
    claims = sorted(k for k, t in sites.items() if t == "OLD")
    assert len(claims) == 1, claims


def test_a_move_before_a_pre_hire_begins_rewrites_the_record_once(scenario: Scenario) -> None:
    # Found by tests/policy/test_twice.py: a dated move whose day came before the contract's
    # first day opened a record from the move's day, and the next run replaced it by one from
    # the contract's first day.
    s = scenario
    people = [list(p) for p in DAY_ONE]
    e2 = next(p for p in people if p[0] == "E2")
    e2[8:11] = ["01/12/2026", "", ""]
    s.file([tuple(p) for p in people])
    s.sync("2026-11-26T08:00:00")
    e2[3], e2[8:11] = "Controller", ["10/02/2027", "", "22/01/2027"]
    s.file([tuple(p) for p in people])
    moved = s.sync("2026-11-27T08:00:00")
    assert s.orders(moved, RECORDS) == {"modified": ["E2"]}
    record = s.values("Directory_UserRecord", "E2")
    assert (record["StartDate"], record["Title"]) == ("2027-02-10", "Controller")
    again = s.sync("2026-11-27T08:00:00")
    assert s.listed(again) == []


def test_a_pre_hire_back_before_their_record_began_takes_their_new_first_day(
        scenario: Scenario) -> None:
    # Found by tests/policy/test_twice.py: a pre-hire removed from the file, back with an
    # earlier contract, kept the first day of the record that had not begun; the next run of
    # the same file moved it.
    s = scenario
    s.file([("E1", "Alice", "Martin", "Engineer", "ROOT", "TYO", "", "contractor",
             "25/01/2027", "24/08/2027", "23/05/2027")])
    s.sync("2026-11-26T08:00:00")
    s.file([("E6", "Emi", "Tanaka", "CFO", "FIN", "PAR", "E1", "permanent", "20/01/2026", "",
             "")])
    s.sync("2026-11-27T08:00:00")
    s.file([("E1", "Alice", "Martin", "CFO", "ROOT", "PAR", "", "contractor", "20/10/2026",
             "13/08/2027", "03/12/2026")])
    s.sync("2026-12-12T08:00:00")
    assert s.values("Directory_UserRecord", "E1")["StartDate"] == "2026-12-03"
    assert s.listed(s.sync("2026-12-12T08:00:00")) == []


def test_a_rehire_whose_position_starts_after_the_contract_opens_one_record_once(
        scenario: Scenario) -> None:
    # Found by tests/policy/test_twice.py: the rehire's new record began with the contract,
    # and the next run of the same file moved it to the later position start.
    s = scenario
    s.file([("E1", "Alice", "Martin", "Engineer", "ROOT", "TYO", "", "fixed-term",
             "27/11/2025", "26/08/2026", "")])
    s.sync("2026-11-26T08:00:00")
    s.file([("E1", "Alice", "Martin", "Analyst", "IT", "PAR", "", "fixed-term", "31/12/2026",
             "11/05/2027", "15/02/2027")])
    s.sync("2026-12-16T08:00:00")
    assert s.values("Directory_UserRecord", "E1-20270215")["StartDate"] == "2027-02-15"
    assert s.listed(s.sync("2026-12-16T08:00:00")) == []


def test_a_pre_hire_moved_after_their_first_day_keeps_those_first_days(
        scenario: Scenario) -> None:
    # A review found it: the record of a pre-hire who moves two weeks after starting began on
    # the day of the move, and the first two weeks had no record.
    s = scenario
    people = [list(p) for p in DAY_ONE]
    e2 = next(p for p in people if p[0] == "E2")
    e2[8:11] = ["01/12/2026", "", ""]
    s.file([tuple(p) for p in people])
    s.sync("2026-11-26T08:00:00")
    e2[3], e2[10] = "Controller", "15/12/2026"
    s.file([tuple(p) for p in people])
    s.sync("2026-11-27T08:00:00")
    first, moved = (s.values("Directory_UserRecord", k) for k in ("E2", "E2-20261215"))
    assert (first["StartDate"], first["EndDate"], first["Title"]) == (
        "2026-12-01", "2026-12-14", "CFO")
    assert (moved["StartDate"], moved["Title"]) == ("2026-12-15", "Controller")
    assert s.listed(s.sync("2026-11-27T08:00:00")) == []
