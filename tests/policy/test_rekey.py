"""Re-key and conversion (SPEC §8): a contractor gone from the HR file who comes back as an
employee under a new EmployeeId, same names and birth date, keeps their identity — its
Identifier, their e-mail, their login's core — whether they left the same day or are kept for the
retention; the orders say which source key they replace. A homonym still in the file is never
taken for them."""

from __future__ import annotations

import json

import sqlalchemy as sa

from datedproject import DAY_ONE, RECORDS, USERS, Scenario
from headcount.repository.schema import correlation_cases, provisioning_orders, scheduled_deletions

# Without E7, who leaves on day one in Tokyo: her order is not what these tests look at.
COMPANY = [p for p in DAY_ONE if p[0] != "E7"]
BORN = "14/03/1990"
# A contractor (login x-hlambert), then the same person as an employee under a new key.
CONTRACTOR = ("E20", "Hugo", "Lambert", "Consultant", "IT", "PAR", "E1", "contractor",
              "01/02/2025", "30/06/2027", "", BORN)


def employee(start: str, key: str = "E21") -> tuple[str, ...]:
    return (key, "Hugo", "Lambert", "Engineer", "IT", "PAR", "E1", "permanent", start, "", "",
            BORN)


def replaces(s: Scenario, run_id: int) -> dict[tuple[str, str, str], str | None]:
    """(resource type, kind, target) → the `replaces` of the run's orders."""
    with s.ctx.engine.connect() as conn:
        rows = conn.execute(sa.select(provisioning_orders.c.resource_type,
                                      provisioning_orders.c.kind,
                                      provisioning_orders.c.target_key,
                                      provisioning_orders.c.changes)
                            .where(provisioning_orders.c.run_id == run_id)).all()
    return {(rt, kind, key): json.loads(changes).get("replaces")
            for rt, kind, key, changes in rows}


def records_of(s: Scenario, user: str) -> list[str]:
    return [k for k in s.keys("Directory_UserRecord")
            if s.link("Directory_UserRecord", k, "User")[0] == user]


def scheduled(s: Scenario) -> list[tuple[str, str]]:
    with s.ctx.engine.connect() as conn:
        return sorted((e, k) for e, k in conn.execute(sa.select(
            scheduled_deletions.c.entity_type, scheduled_deletions.c.resource_key)))


def test_a_contractor_back_the_same_day_as_an_employee_keeps_their_identity(
        scenario: Scenario) -> None:
    s = scenario
    s.file([*COMPANY, CONTRACTOR])
    s.sync("2026-11-26T08:00:00")
    before = s.values("Directory_UserRecord", "E20")
    assert before["Login"] == "x-hlambert"
    users = s.keys("Directory_User")

    # The next day the contractor's row is gone and the employee's is there: one file.
    s.file([*COMPANY, employee("27/11/2026")])
    run = s.sync("2026-11-27T08:00:00")
    assert s.orders(run, USERS) == {"modified": ["E20"]}  # no delete, no second identity
    assert s.orders(run, RECORDS) == {"added": ["E21"], "deleted": ["E20"]}
    said = replaces(s, run.id)
    assert said[(USERS, "modified", "E20")] == "E20"
    assert said[(RECORDS, "added", "E21")] == "E20"
    assert said[(RECORDS, "deleted", "E20")] is None  # the old record just ends
    assert all(v is None for (rt, _, _), v in said.items() if rt not in (USERS, RECORDS))

    # One identity remains, with its Identifier; its current HR key is the new one.
    assert s.keys("Directory_User") == users
    user = s.values("Directory_User", "E20")
    assert (user["Identifier"], user["EmployeeId"], user["State"]) == ("E20", "E21", "active")
    # The new record links to it; the e-mail is kept, the login keeps its core and loses
    # the contractor's prefix.
    new = s.values("Directory_UserRecord", "E21")
    assert (new["RecordIdentifier"], new["StartDate"]) == ("E21", "2026-11-27")
    assert new["Email"] == before["Email"] == "hugo.lambert@headcount.example"
    assert new["Login"] == "hlambert"
    # The old record ends the day before the new one starts, kept for the retention.
    assert s.values("Directory_UserRecord", "E20")["EndDate"] == "2026-11-26"
    assert sorted(records_of(s, "E20")) == ["E20", "E21"]
    assert scheduled(s) == [("Directory_UserRecord", "E20")]

    # Twice equals once.
    assert s.sync("2026-11-27T10:00:00").counters.get("orders", {}) == {}


def test_a_contractor_back_within_the_retention_keeps_their_identity(
        scenario: Scenario) -> None:
    s = scenario
    s.file([*COMPANY, CONTRACTOR])
    s.sync("2026-11-26T08:00:00")
    s.file(list(COMPANY))
    s.sync("2026-11-27T08:00:00")  # gone from the file: left, kept for 30 days
    assert s.state("E20") == "left"
    assert ("Directory_User", "E20") in scheduled(s)

    s.file([*COMPANY, employee("07/12/2026")])
    run = s.sync("2026-12-07T08:00:00")
    assert s.orders(run, USERS) == {"modified": ["E20"]}
    assert s.orders(run, RECORDS) == {"added": ["E21"]}
    said = replaces(s, run.id)
    assert said[(USERS, "modified", "E20")] == said[(RECORDS, "added", "E21")] == "E20"
    user = s.values("Directory_User", "E20")
    assert (user["EmployeeId"], user["State"], user["StartDate"]) == \
        ("E21", "active", "2026-12-07")
    new = s.values("Directory_UserRecord", "E21")
    assert (new["Login"], new["Email"]) == ("hlambert", "hugo.lambert@headcount.example")
    # The identity leaves the deletion schedule; the old record, ended, stays on it.
    assert scheduled(s) == [("Directory_UserRecord", "E20")]
    assert s.values("Directory_UserRecord", "E20")["EndDate"] == "2026-11-26"
    assert sorted(records_of(s, "E20")) == ["E20", "E21"]
    assert s.sync("2026-12-07T10:00:00").counters.get("orders", {}) == {}

    # The retention of the old record is over: it goes, the identity and its new record stay.
    s.evaluate("2026-12-28T12:00:00")
    assert "E20" not in s.keys("Directory_UserRecord")
    assert s.values("Directory_User", "E20")["State"] == "active"
    assert records_of(s, "E20") == ["E21"]


def test_a_homonym_still_in_the_file_is_no_candidate(scenario: Scenario) -> None:
    s = scenario
    s.file([*COMPANY, CONTRACTOR])
    s.sync("2026-11-26T08:00:00")
    # Same names and birth date, but the contractor is still in the file: two people.
    s.file([*COMPANY, CONTRACTOR, employee("27/11/2026")])
    run = s.sync("2026-11-27T08:00:00")
    assert s.orders(run, USERS) == {"added": ["E21"]}
    assert s.orders(run, RECORDS) == {"added": ["E21"]}
    assert all(v is None for v in replaces(s, run.id).values())
    assert s.values("Directory_User", "E20")["EmployeeId"] == "E20"
    assert s.values("Directory_UserRecord", "E21")["Login"] == "hulambert"  # a homonym's
    assert s.sync("2026-11-27T10:00:00").counters.get("orders", {}) == {}


def test_two_gone_identities_alike_open_a_case_with_scored_candidates(
        scenario: Scenario) -> None:
    s = scenario
    twin = ("E22", *CONTRACTOR[1:])
    s.file([*COMPANY, CONTRACTOR, twin])
    s.sync("2026-11-26T08:00:00")
    # Both gone; one comes back: which identity is theirs, a person decides.
    s.file([*COMPANY, employee("27/11/2026")])
    run = s.sync("2026-11-27T08:00:00")
    assert s.orders(run, USERS) == {"deleted": ["E20", "E22"]}  # both left, none re-keyed
    with s.ctx.engine.connect() as conn:
        cases = conn.execute(sa.select(correlation_cases.c.resource_type,
                                       correlation_cases.c.source_key,
                                       correlation_cases.c.candidates,
                                       correlation_cases.c.confidence)).all()
    matched = ["LastName", "FirstName", "BirthDate"]
    assert [(rt, k, json.loads(c), n) for rt, k, c, n in cases] == [
        (USERS, "E21", [{"key": "E20", "score": 100, "matched": matched},
                        {"key": "E22", "score": 100, "matched": matched}], 100)]
    assert "E21" not in s.keys("Directory_User")


def test_an_old_key_back_beside_the_new_one_gets_an_identity_of_its_own(
        scenario: Scenario) -> None:
    s = scenario
    s.file([*COMPANY, CONTRACTOR])
    s.sync("2026-11-26T08:00:00")
    s.file([*COMPANY, employee("27/11/2026")])
    s.sync("2026-11-27T08:00:00")
    # E20 is in the file again, beside E21 who holds its identity: a homonym now. Keys are
    # immutable, so E20 gets another one.
    s.file([*COMPANY, employee("27/11/2026"), CONTRACTOR])
    run = s.sync("2026-11-28T08:00:00")
    assert s.orders(run, USERS) == {"added": ["E20-2"]}
    assert s.values("Directory_User", "E20-2")["EmployeeId"] == "E20"
    assert s.values("Directory_User", "E20")["EmployeeId"] == "E21"
    assert s.link("Directory_UserRecord", "E20", "User")[0] == "E20-2"
    assert s.link("Directory_UserRecord", "E21", "User")[0] == "E20"
    assert s.sync("2026-11-28T10:00:00").counters.get("orders", {}) == {}
