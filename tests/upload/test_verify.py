"""Verify on the sample project (SPEC §9): the template filled with the issue's mistakes verifies
with exactly those errors, by tab, row and column, and verifies clean once corrected — on SQLite
and PostgreSQL, from the empty template and from the full one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from headcount.project import ProjectContext
from uploadsample import RECORDS, Filled, full_with_mistakes, located, messages
from webproject import make_project

ORGS = "Organization"


@pytest.fixture
def sample(tmp_path: Path, db_url: str) -> Iterator[ProjectContext]:
    folder = make_project(tmp_path / "hr", db_url, people=200)
    ctx = ProjectContext.open(folder, db_url)
    yield ctx
    ctx.close()


def test_a_full_template_verifies_clean_as_downloaded(sample: ProjectContext,
                                                      tmp_path: Path) -> None:
    verification = Filled(sample, "full").verify(tmp_path)
    assert verification.mode == "complete"
    assert verification.errors == []
    records = next(t for t in verification.tabs if t.tab == RECORDS)
    assert records.rows == records.frame.height == 200
    assert dict(verification.ignored).keys() == {"Title", "Subsidiary", "Lists"}


def test_the_full_template_with_the_issues_mistakes_gives_exactly_those_errors(
        sample: ProjectContext, tmp_path: Path) -> None:
    filled = Filled(sample, "full")
    expected = full_with_mistakes(filled, correct=False)
    verification = filled.verify(tmp_path)
    assert located(verification.errors) == expected, messages(verification)
    assert not verification.ok
    records = next(t for t in verification.tabs if t.tab == RECORDS)
    assert not set(records.frame["__line"].to_list()) & {5, 6, 7, 8, 9}

    fixed = Filled(sample, "full")
    full_with_mistakes(fixed, correct=True)
    verification = fixed.verify(tmp_path, "fixed.xlsx")
    assert verification.errors == [], messages(verification)
    records = next(t for t in verification.tabs if t.tab == RECORDS)
    row = records.frame.filter(records.frame["RecordIdentifier"] == "E00006").row(0, named=True)
    assert (row["UserType"], row["ContractEndDate"]) == ("fixed-term", "2027-12-31")


def _empty_with_mistakes(filled: Filled, correct: bool) -> set[tuple[str, int | None, str]]:
    people = ["N001", "N002", "N003"]
    for person in people:
        filled.append("Identity", {"Identifier *": person, "Last name": "Martin",
                                   "First name": person})
    duplicate = filled.append("Identity", {"Identifier *": "N004" if correct else "N001"})
    filled.append(ORGS, {"Identifier *": "NEW", "DisplayName": "New team",
                         "Manager *": "N001" if correct else None})
    logins = ["nmartin1", "nmartin2" if correct else "NMartin1", "nmartin3"]
    for number, person in enumerate(people):
        filled.append(RECORDS, {
            "Record identifier *": f"R{person}", "Identity *": person, "User type *": "permanent",
            "Contract start date *": "01/03/2026", "Organization": "NEW", "Site": "PAR",
            "Login": logins[number]})
    filled.set(RECORDS, 3, Manager="N002" if correct else "NOBODY")
    filled.set(RECORDS, 4, ContractStartDate="01/03/2026" if correct else "2026-13-01")
    filled.set(RECORDS, 5, UserType="fixed-term", ContractEndDate="30/09/2026" if correct
               else None)
    return {("Identity", 3, "Identifier"), ("Identity", duplicate, "Identifier"),
            (ORGS, 3, "Manager"), (RECORDS, 3, "Manager"), (RECORDS, 4, "Contract start date"),
            (RECORDS, 5, "Contract end date"), (RECORDS, 4, "Login")}


def test_the_empty_template_with_the_issues_mistakes_gives_exactly_those_errors(
        sample: ProjectContext, tmp_path: Path) -> None:
    filled = Filled(sample)
    expected = _empty_with_mistakes(filled, correct=False)
    verification = filled.verify(tmp_path)
    assert located(verification.errors) == expected, messages(verification)
    login = next(p for p in verification.errors if p.column == "Login")
    assert "row 3" in login.message

    fixed = Filled(sample)
    _empty_with_mistakes(fixed, correct=True)
    verification = fixed.verify(tmp_path, "fixed.xlsx")
    assert verification.errors == [], messages(verification)
    assert [t.frame.height for t in verification.tabs] == [4, 3, 1]
