"""Joiners, movers, leavers (SPEC §8) on the sample project, driven by a sequence of dated HR
files: after each file (and each date evaluation) the Directory is what a person reading the files
would expect. Dates are the files' (day one is 2026-11-26); the clock is given to every run."""

from __future__ import annotations

import sqlalchemy as sa

from datedproject import DAY_ONE, RECORDS, USERS, Scenario, at
from headcount.config.loader import load_project_config
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.repository import deployments, runs
from headcount.repository.schema import scheduled_deletions
from headcount.reviews.decisions import decide
from headcount.reviews.edits import ManualEdit, edit_resource


def test_joiners_movers_leavers_rehire_through_dated_files(scenario: Scenario) -> None:
    s = scenario
    # --- Day one, 2026-11-26 09:00 in Paris -----------------------------------------------
    s.file(list(DAY_ONE))
    first = s.sync("2026-11-26T08:00:00")
    assert s.orders(first, USERS)["added"] == [f"E{i}" for i in range(1, 10)]
    assert s.state("E5") == "active"          # a joiner starting today
    assert s.state("E6") == "pre-hire"        # a future-dated joiner
    assert s.values("Directory_User", "E6")["StartDate"] == "2026-12-15"
    assert s.state("E7") == "active"          # her last day is today, in Tokyo
    assert s.state("E9") == "left"            # a contract that ended last month
    # Homonyms: distinct logins and e-mails, issued once.
    e3, e4 = s.values("Directory_UserRecord", "E3"), s.values("Directory_UserRecord", "E4")
    assert (e3["Login"], e3["Email"]) == ("jdupont", "jean.dupont@headcount.example")
    assert (e4["Login"], e4["Email"]) == ("jedupont", "jean.dupont2@headcount.example")
    assert s.link("Directory_UserRecord", "E3", "Manager") == ("E2", True)
    assert s.link("Directory_UserRecord", "E3", "Organization") == ("FIN", True)

    # --- The Tokyo leaver, with a controlled clock: inactive at midnight Tokyo time ------------
    s.evaluate("2026-11-26T14:59:59")
    assert s.state("E7") == "active"
    tokyo_midnight = s.evaluate("2026-11-26T15:00:00")
    assert s.state("E7") == "left"
    assert s.orders(tokyo_midnight, USERS) == {"modified": ["E7"]}
    assert s.state("E5") == "active"  # still the 26th in Paris: nothing else moved

    # --- Values changed by hand --------------------------------------------------------------
    # E4's title is corrected by hand, reviewed and kept (declined): protected from HR.
    project = s.ctx.deployed()[1]
    edited = edit_resource(s.ctx.engine, project, ManualEdit(
        "Directory_UserRecord", "E4", {"Title": "Staff Engineer"}, "title agreed with Tokyo"),
        "hr.admin", at("2026-11-26T16:00:00"))
    assert edited.states == {"Title": "unreconciled"}
    decide(s.ctx.engine, project, [s.held("E4")["id"]], "decline", "keep it", "reviewer",
           at("2026-11-26T16:30:00"))
    # E5's title is overridden until 1 December: then HR's value comes back.
    edit_resource(s.ctx.engine, project, ManualEdit(
        "Directory_UserRecord", "E5", {"Title": "Onboarding buddy"}, "first week",
        expires_at=at("2026-12-01T00:00:00")), "hr.admin", at("2026-11-26T16:00:00"))

    # --- Day two, 2026-11-27 ----------------------------------------------------------------
    day_two = [list(p) for p in DAY_ONE]
    people = {p[0]: p for p in day_two}
    # A mover, today: organization, title and manager.
    people["E3"][3:7] = ["Senior Analyst", "IT", "PAR", "E1"]
    people["E3"][10] = "27/11/2026"
    # A mover from a future date: a new title from 15 December.
    people["E8"][3] = "Lead Analyst"
    people["E8"][10] = "15/12/2026"
    # A leaver by end date (inclusive, Paris).
    people["E2"][9] = "30/11/2026"
    # HR retitles E4 (held by hand) and E5 (overridden).
    people["E4"][3] = "Senior Engineer"
    people["E5"][3] = "Software Engineer"
    # A manager who joins in the same file as her report, listed after him.
    day_two.append(["E11", "Ivan", "Moreau", "Engineer", "IT", "PAR", "E10", "permanent",
                    "27/11/2026", "", ""])
    day_two.append(["E10", "Hélène", "Blanc", "Head of Platform", "IT", "PAR", "E1",
                    "permanent", "27/11/2026", "", ""])
    # A third Jean Dupont, a contractor: his prefix does not make his login unique.
    day_two.append(["E12", "Jean", "Dupont", "Consultant", "IT", "PAR", "E1", "contractor",
                    "27/11/2026", "31/03/2027", ""])
    s.file([tuple(p) for p in day_two])
    dry = synchronize(s.ctx, SyncRequest("HR", dry_run=True, now=at("2026-11-27T08:00:00")))
    second = s.sync("2026-11-27T08:00:00")
    assert s.listed(dry) == s.listed(second)  # the dry run's orders are the real run's
    record_orders = s.orders(second, RECORDS)
    assert record_orders["added"] == ["E10", "E11", "E12", "E8-20261215"]
    e12 = s.values("Directory_UserRecord", "E12")
    assert (e12["Login"], e12["Email"]) == ("x-jdupont2", "jean.dupont3@headcount.example")
    assert record_orders["modified"] == ["E2", "E3", "E8"]
    e3 = s.values("Directory_UserRecord", "E3")
    assert e3["Title"] == "Senior Analyst"
    assert s.link("Directory_UserRecord", "E3", "Organization") == ("IT", True)
    assert s.link("Directory_UserRecord", "E3", "Manager") == ("E1", True)
    assert s.link("Directory_UserRecord", "E11", "Manager") == ("E10", True)  # same run
    # The current record of E8 keeps its title until the day before the move.
    e8 = s.values("Directory_UserRecord", "E8")
    assert (e8["Title"], e8["EndDate"]) == ("Analyst", "2026-12-14")
    moved = s.values("Directory_UserRecord", "E8-20261215")
    assert (moved["Title"], moved["StartDate"], moved["EndDate"]) == \
        ("Lead Analyst", "2026-12-15", None)
    assert moved["Login"] == e8["Login"]  # the same person, the same login
    assert s.link("Directory_UserRecord", "E8-20261215", "User") == ("E8", True)
    assert s.values("Directory_User", "E2")["EndDate"] == "2026-11-30"
    assert s.state("E2") == "active"
    # The protected title stays, marked questioned with HR's new value; the override holds.
    assert s.values("Directory_UserRecord", "E4")["Title"] == "Staff Engineer"
    assert (s.held("E4")["state"], s.held("E4")["proposed"]) == ("questioned",
                                                                 "Senior Engineer")
    assert s.values("Directory_UserRecord", "E5")["Title"] == "Onboarding buddy"
    # The same file again: nothing to do.
    assert s.sync("2026-11-27T10:00:00").counters.get("orders", {}) == {}

    # --- Daily evaluations, without a file -------------------------------------------------
    s.evaluate("2026-11-30T22:59:59")   # 23:59:59 on the 30th in Paris
    assert s.state("E2") == "active"
    s.evaluate("2026-11-30T23:00:00")   # midnight in Paris
    assert s.state("E2") == "left"
    assert s.values("Directory_UserRecord", "E5")["Title"] == "Onboarding buddy"
    s.evaluate("2026-12-01T00:00:00")   # the override expires: HR's title is back
    assert s.values("Directory_UserRecord", "E5")["Title"] == "Software Engineer"
    assert s.held("E5") == {}
    s.evaluate("2026-12-14T23:00:00")   # the 15th in Paris
    assert s.state("E6") == "active"   # the future-dated joiner's first day

    # --- Day three, 2026-12-16: a removal and a rehire ---------------------------------------
    day_three = [p for p in day_two if p[0] != "E8"]
    rehired = next(p for p in day_three if p[0] == "E9")
    rehired[8:10] = ["14/12/2026", ""]   # back, same EmployeeId, a new contract
    rehired[7] = "permanent"
    s.file([tuple(p) for p in day_three])
    dry = synchronize(s.ctx, SyncRequest("HR", dry_run=True, now=at("2026-12-16T08:00:00")))
    third = s.sync("2026-12-16T08:00:00")
    assert s.listed(dry) == s.listed(third)
    assert s.orders(third, USERS) == {"deleted": ["E8"], "modified": ["E9"]}
    # Removed from the file: kept, marked left, for the 30 days of retention.
    assert s.state("E8") == "left"
    assert s.values("Directory_User", "E8")["EndDate"] == "2026-12-15"
    assert "E8" in s.keys("Directory_User")
    with s.ctx.engine.connect() as conn:
        kept = sorted((e, k, str(d)) for e, k, d in conn.execute(sa.select(
            scheduled_deletions.c.entity_type, scheduled_deletions.c.resource_key,
            scheduled_deletions.c.delete_on)))
    assert kept == [("Directory_User", "E8", "2027-01-15"),
                    ("Directory_UserRecord", "E8", "2027-01-15"),
                    ("Directory_UserRecord", "E8-20261215", "2027-01-15")]
    # The rehire: the same identity, active again, with a new record; the old one stays.
    assert s.state("E9") == "active"
    assert s.values("Directory_User", "E9")["StartDate"] == "2026-12-14"
    assert s.keys("Directory_User").count("E9") == 1
    assert "E9-20261214" in s.keys("Directory_UserRecord")
    old, new = (s.values("Directory_UserRecord", k) for k in ("E9", "E9-20261214"))
    assert old["EndDate"] == "2026-10-31"
    assert (new["StartDate"], new["Login"]) == ("2026-12-14", old["Login"])
    assert s.link("Directory_UserRecord", "E9-20261214", "User") == ("E9", True)

    # --- The retention is over: the leaver is deleted, with his records -------------------
    s.evaluate("2027-01-14T12:00:00")
    assert "E8" in s.keys("Directory_User")
    purge = s.evaluate("2027-01-15T12:00:00")
    assert s.orders(purge, USERS) == {"deleted": ["E8"]}
    assert "E8" not in s.keys("Directory_User")
    assert not [k for k in s.keys("Directory_UserRecord") if k.startswith("E8")]
    with s.ctx.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(scheduled_deletions)
                            ).scalar_one() == 0
    # A namesake joins later: the leaver's login and e-mail are never issued again.
    s.file([*[tuple(p) for p in day_three],
            ("E13", "Frank", "Leroy", "Analyst", "FIN", "PAR", "E1", "permanent",
             "18/01/2027", "", "")])
    s.sync("2027-01-16T08:00:00")
    e13 = s.values("Directory_UserRecord", "E13")
    assert (e13["Login"], e13["Email"]) == ("frleroy", "frank.leroy2@headcount.example")
    assert s.state("E13") == "pre-hire"


def test_an_incremental_run_evaluates_only_the_sources_it_changed(scenario: Scenario) -> None:
    s = scenario
    hr = s.folder / "config" / "hr.yaml"
    hr.write_text(hr.read_text(encoding="utf-8").replace(
        "        path: data/hr_people.csv\n",
        "        path: data/hr_people.csv\n        path_incremental: data/hr_people_delta.csv\n",
        1), encoding="utf-8")
    with s.ctx.engine.begin() as conn:
        deployments.deploy(conn, load_project_config(s.folder))
    s.file(list(DAY_ONE))
    s.sync("2026-11-26T08:00:00")
    people = s.folder / "data" / "hr_people.csv"
    header, *rows = people.read_text(encoding="latin-1").splitlines()
    moved = next(r for r in rows if r.startswith("E3;")).replace(";Analyst;", ";Auditor;")
    (s.folder / "data" / "hr_people_delta.csv").write_text(
        f"{header}\n{moved}\n", encoding="latin-1")
    # The next day: E7 (Tokyo) has left, but nothing in the delta is about her.
    run = synchronize(s.ctx, SyncRequest("HR", mode="incremental",
                                         now=at("2026-11-27T08:00:00")))
    assert run.state == runs.SUCCEEDED, run.message
    assert s.orders(run, RECORDS) == {"modified": ["E3"]}
    assert s.orders(run, USERS) == {}
    assert s.state("E7") == "active"
    assert s.values("Directory_UserRecord", "E3")["Title"] == "Auditor"
    # The date evaluation (or any complete run) catches up.
    s.evaluate("2026-11-27T08:00:00")
    assert s.state("E7") == "left"


def test_orders_beyond_the_provisioning_threshold_wait_for_a_person(scenario: Scenario) -> None:
    from headcount.jobs.blocked import previewed_total, resume

    s = scenario
    company = [*DAY_ONE,
               ("E10", "Hélène", "Blanc", "Engineer", "IT", "PAR", "E1", "permanent",
                "01/02/2025", "", ""),
               ("E11", "Ivan", "Moreau", "Engineer", "IT", "PAR", "E1", "permanent",
                "01/02/2025", "", "")]
    s.file(company)
    s.sync("2026-11-26T08:00:00")
    retitled = [(*p[:3], f"{p[3]} II", *p[4:]) for p in company]
    s.file(retitled)
    dry = synchronize(s.ctx, SyncRequest("HR", dry_run=True, now=at("2026-11-27T08:00:00")))
    with s.ctx.engine.connect() as conn:
        assert any("would block: provisioning threshold: HR_Person_To_Directory_UserRecord: "
                   "11 orders" in message for _, _, message in runs.logs(conn, dry.id))
    run = synchronize(s.ctx, SyncRequest("HR", now=at("2026-11-27T08:00:00")))
    assert run.state == runs.BLOCKED
    assert "provisioning threshold" in (run.message or "")
    assert "11 orders for 11 targets (100.0 % > max_changes_pct 30 %)" in (run.message or "")
    assert s.values("Directory_UserRecord", "E1")["Title"] == "CEO"  # nothing applied
    assert s.values("HR_Person", "E1")["Title"] == "CEO"
    # The blocked run shows the orders resuming gives, and the resume gives exactly those.
    assert run.counters["orders"][RECORDS] == {"modified": 11}
    resumed = resume(s.ctx, run.id, "new title scheme, approved by HR",
                     expected_orders=previewed_total(run))
    assert resumed.counters["orders"] == run.counters["orders"]
    assert s.values("Directory_UserRecord", "E1")["Title"] == "CEO II"


def test_remove_orphans_deletes_targets_no_source_owns(scenario: Scenario) -> None:
    import polars as pl

    from headcount.repository.apply import apply_changes
    from headcount.repository.database import begin_write
    from headcount.repository.naming import Naming
    from headcount.sync.changes import RESOURCE_SCHEMA, ChangeSet

    s = scenario
    policy = s.folder / "config" / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace(
        "    target: Directory_Site\n",
        "    target: Directory_Site\n    remove_orphans: true\n", 1), encoding="utf-8")
    with begin_write(s.ctx.engine) as conn:
        deployments.deploy(conn, load_project_config(s.folder))
        apply_changes(conn, ChangeSet(pl.DataFrame([{
            "kind": "insert", "entity_type": "Directory_Site", "key": "LYO",
            "data": '{"Identifier": "LYO", "DisplayName": "Lyon (closed)"}', "after": None,
            "hash": 0, "connection": "manual", "line": None}], schema=RESOURCE_SCHEMA)), 0,
                      Naming(deployments.require_latest(conn)[1]))
    s.file(list(DAY_ONE))
    run = s.sync("2026-11-26T08:00:00")
    assert s.orders(run, "HR_Site_To_Directory_Site") == {"added": ["PAR", "TYO"],
                                                          "deleted": ["LYO"]}
    assert s.keys("Directory_Site") == ["PAR", "TYO"]


def test_a_dated_move_rescheduled_or_cancelled_before_its_day(scenario: Scenario) -> None:
    s = scenario
    s.file(list(DAY_ONE))
    s.sync("2026-11-26T08:00:00")
    people = {p[0]: list(p) for p in DAY_ONE}
    people["E8"][3], people["E8"][10] = "Lead Analyst", "15/12/2026"
    people["E3"][3], people["E3"][10] = "Senior Analyst", "01/01/2027"
    s.file([tuple(p) for p in people.values()])
    s.sync("2026-11-27T08:00:00")
    assert "E8-20261215" in s.keys("Directory_UserRecord")
    # HR moves E8's change to the 20th, and cancels E3's.
    people["E8"][10] = "20/12/2026"
    people["E3"][3], people["E3"][10] = "Analyst", ""
    s.file([tuple(p) for p in people.values()])
    run = s.sync("2026-11-28T08:00:00")
    records = s.orders(run, RECORDS)
    assert records["deleted"] == ["E3-20270101", "E8-20261215"]
    assert records["added"] == ["E8-20261220"]
    assert [k for k in s.keys("Directory_UserRecord") if k[:3] in ("E3", "E3-", "E8", "E8-")] \
        == ["E3", "E8", "E8-20261220"]
    e3, e8 = s.values("Directory_UserRecord", "E3"), s.values("Directory_UserRecord", "E8")
    assert (e3["Title"], e3["EndDate"]) == ("Analyst", None)
    assert (e8["Title"], e8["EndDate"]) == ("Analyst", "2026-12-19")
    assert s.values("Directory_UserRecord", "E8-20261220")["Title"] == "Lead Analyst"
    assert s.sync("2026-11-28T10:00:00").counters.get("orders", {}) == {}


def test_a_correlated_target_gets_the_create_only_values_it_lacks(scenario: Scenario) -> None:
    import polars as pl

    from headcount.repository.apply import apply_changes
    from headcount.repository.database import begin_write
    from headcount.repository.naming import Naming
    from headcount.sync.changes import RESOURCE_SCHEMA, ChangeSet

    s = scenario
    keyed_by_hand = [("E4", '{"RecordIdentifier": "E4"}'),
                     ("E5", '{"RecordIdentifier": "E5", "Login": "chloe.d", '
                            '"StartDate": "2026-11-20"}')]
    with begin_write(s.ctx.engine) as conn:
        apply_changes(conn, ChangeSet(pl.DataFrame([{
            "kind": "insert", "entity_type": "Directory_UserRecord", "key": key, "data": data,
            "after": None, "hash": 0, "connection": "manual", "line": None}
            for key, data in keyed_by_hand], schema=RESOURCE_SCHEMA)), 0,
                      Naming(deployments.require_latest(conn)[1]))
    s.file(list(DAY_ONE))
    run = s.sync("2026-11-26T08:00:00")
    assert "E4" in s.orders(run, RECORDS)["modified"]
    e4, e5 = s.values("Directory_UserRecord", "E4"), s.values("Directory_UserRecord", "E5")
    assert (e4["Login"], e4["StartDate"]) == ("jedupont", "2023-09-01")
    assert (e5["Login"], e5["StartDate"], e5["LastName"]) == ("chloe.d", "2026-11-20", "Durand")
    assert s.sync("2026-11-26T09:00:00").counters.get("orders", {}) == {}


def test_a_pre_hire_whose_start_moves_keeps_one_record(scenario: Scenario) -> None:
    s = scenario
    s.file(list(DAY_ONE))
    s.sync("2026-11-26T08:00:00")
    people = {p[0]: list(p) for p in DAY_ONE}
    people["E6"][8] = "05/01/2027"  # the future joiner will start later
    s.file([tuple(p) for p in people.values()])
    run = s.sync("2026-11-27T08:00:00")
    assert s.orders(run, RECORDS) == {"modified": ["E6"]}
    assert [k for k in s.keys("Directory_UserRecord") if k.startswith("E6")] == ["E6"]
    assert s.values("Directory_UserRecord", "E6")["StartDate"] == "2027-01-05"
    assert s.values("Directory_User", "E6")["StartDate"] == "2027-01-05"
    assert s.state("E6") == "pre-hire"


def test_a_record_linked_by_a_person_gets_its_login_and_email(scenario: Scenario) -> None:
    import polars as pl

    from headcount.repository.apply import apply_changes
    from headcount.repository.database import begin_write
    from headcount.repository.naming import Naming
    from headcount.repository.schema import ownership
    from headcount.sync.changes import RESOURCE_SCHEMA, ChangeSet

    s = scenario
    with begin_write(s.ctx.engine) as conn:
        apply_changes(conn, ChangeSet(pl.DataFrame([{
            "kind": "insert", "entity_type": "Directory_UserRecord", "key": "X5",
            "data": '{"RecordIdentifier": "X5"}', "after": None, "hash": 0,
            "connection": "manual", "line": None}], schema=RESOURCE_SCHEMA)), 0,
                      Naming(deployments.require_latest(conn)[1]))
        # As a correlation decision `link` leaves it: the source owns the record already.
        conn.execute(sa.insert(ownership).values(resource_type=RECORDS, source_key="E5",
                                                 target_key="X5"))
    s.file(list(DAY_ONE))
    s.sync("2026-11-26T08:00:00")
    x5 = s.values("Directory_UserRecord", "X5")
    assert (x5["Login"], x5["Email"], x5["StartDate"]) == \
        ("cdurand", "chloe.durand@headcount.example", "2026-11-26")
    assert "E5" not in s.keys("Directory_UserRecord")
    assert s.sync("2026-11-26T09:00:00").counters.get("orders", {}) == {}
