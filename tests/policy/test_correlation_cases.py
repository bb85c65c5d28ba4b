"""Correlation cases as stored (SPEC §6.1): each candidate with its score and the properties that
matched; cases opened before scores were kept (bare keys) still read, scored with the case's
confidence."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from datedproject import DAY_ONE, Scenario
from headcount.policy.cases import get_case, list_cases
from headcount.policy.comparison import compare
from headcount.policy.correlation import Candidate
from headcount.repository.schema import correlation_cases

RECORDS = "HR_Person_To_Directory_UserRecord"


def test_a_case_stored_with_bare_keys_still_reads(scenario: Scenario) -> None:
    s = scenario
    with s.ctx.engine.begin() as conn:
        conn.execute(sa.insert(correlation_cases).values(
            resource_type=RECORDS, source_key="E5", candidates='["X5", "X6"]', confidence=60,
            state="open", run_id=1, created_at=datetime(2026, 11, 26, tzinfo=UTC)))
    with s.ctx.engine.connect() as conn:
        _, (case,) = list_cases(conn)
        assert case.candidates == ("X5", "X6")
        assert case.scored == (Candidate("X5", 60, ()), Candidate("X6", 60, ()))


def test_a_case_keeps_each_candidates_score_and_matched_properties(scenario: Scenario) -> None:
    s = scenario
    policy = s.folder / "config" / "policy.yaml"
    rule = "    correlation: [{source: [EmployeeId], target: [RecordIdentifier]}]"
    policy.write_text(policy.read_text(encoding="utf-8").replace(rule, (
        "    correlation:\n"
        "      - {source: [EmployeeId], target: [RecordIdentifier]}\n"
        "      - {source: [LastName, FirstName], target: [LastName, FirstName], confidence: 60}\n"
        "      - {source: [LastName, Title], target: [LastName, Title], confidence: 40}")),
        encoding="utf-8")
    from headcount.config.loader import load_project_config
    from headcount.repository import deployments

    with s.ctx.engine.begin() as conn:
        deployments.deploy(conn, load_project_config(s.folder))
    s.file(list(DAY_ONE))
    s.sync("2026-11-26T08:00:00")
    # E3 leaves; a Jean Dupont, analyst, joins under a new key: E3's record (whose owner is
    # gone) and E4's (a live homonym's: no candidate) share his names.
    people = [p for p in DAY_ONE if p[0] != "E3"]
    people.append(("E30", "Jean", "Dupont", "Analyst", "FIN", "PAR", "E2", "permanent",
                   "27/11/2026", "", ""))
    s.file(people)
    s.sync("2026-11-27T08:00:00")
    with s.ctx.engine.connect() as conn:
        _, (case,) = list_cases(conn)
        assert (case.source_key, case.confidence, case.candidates) == ("E30", 60, ("E3",))
        assert case.scored == (Candidate("E3", 60, ("LastName", "FirstName", "Title")),)
        # The comparison a person reads scores it the same way, today.
        shown = compare(conn, s.ctx.deployed()[1], get_case(conn, case.id))
        assert [(c.side.key, c.score) for c in shown.candidates] == [("E3", 60)]
