"""`headcount job`: the pending references of a run, all of them with why, and the change list
with its link changes (SPEC §4.3, §4.6), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headcount.cli.app import app
from hrproject import HRProject, hr_project
from pendingfiles import ABSENT, PENDING, RESOLVED, WRITTEN, write_files_with_pending

runner = CliRunner()


@pytest.fixture
def hr(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[HRProject]:
    monkeypatch.setenv("HEADCOUNT_DATABASE_URL", db_url)
    with hr_project(tmp_path, db_url, thresholds={"max_inserted": 1000}) as project:
        write_files_with_pending(project)
        yield project


def job(hr: HRProject, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--project", str(hr.folder), "job", *args])
    return result.exit_code, result.output


def test_every_pending_reference_is_counted_and_listed_with_why(hr: HRProject) -> None:
    run = hr.sync()
    assert run.counters["unresolved"] == PENDING
    assert (run.counters["links_inserted"], run.counters["links_pending"]) == (RESOLVED, PENDING)
    code, out = job(hr, str(run.id), "--unresolved", "--limit", "1000")
    assert code == 0, out
    listed = [line for line in out.splitlines() if re.match(r"\s+HR_Person \S+ \.", line)]
    assert len(listed) == PENDING
    assert f"unresolved references of run {run.id}: {PENDING}" in out
    assert sum("absent from the file" in line for line in listed) == ABSENT
    assert any("E9001 .Manager → HR_Person E9000: its HR_Person row was set aside as invalid, "
               "People line 232" in line for line in listed)
    assert any("E9001 .Organization → HR_Org O3: its HR_Org row was set aside as duplicate, "
               "Orgs line 3" in line for line in listed)

    _, out = job(hr, str(run.id), "--unresolved", "--limit", "10")
    assert f"… {PENDING - 10} more: --offset 10" in out


def test_a_later_run_lists_what_is_still_pending(hr: HRProject) -> None:
    hr.sync()
    rows = [[f"E{i}", f"First{i}", f"Last{i}", "01/02/2020", f"X{i}", "O1"]
            for i in range(1, ABSENT + 1)]
    rows += [["E9000", "Bad", "Date", "99/99/2020", "", "O1"],
             ["E9001", "Dup", "Org", "01/02/2020", "E9000", "O3"],
             ["X1", "Late", "Boss", "01/02/2020", "", "O1"]]
    hr.write_people(rows)
    later = hr.sync()
    assert later.counters["unresolved"] == PENDING - 1  # X1 arrived
    assert (later.counters["links_inserted"], later.counters["links_pending"]) == (1, 0)
    code, out = job(hr, str(later.id), "--unresolved", "--limit", "1000")
    assert code == 0, out
    assert "→ HR_Person X1:" not in out
    assert out.count("pending since an earlier run") == PENDING - 1


def test_the_change_list_shows_link_changes(hr: HRProject) -> None:
    run = hr.sync()
    code, out = job(hr, str(run.id), "--changes", "--kind", "link_insert", "--limit", "1000")
    assert code == 0, out
    assert len(re.findall(r"^\s+\+ link HR_Person ", out, re.M)) == WRITTEN
    # The changed resource's name beside its key (issue 12).
    assert re.search(r"\+ link HR_Person E9001 \([^)]+\) \.Organization → O3", out), out
    code, out = job(hr, str(run.id), "--changes", "--limit", "1")
    # An inserted resource's links are listed under it.
    assert re.search(r"^  \+ HR_Person E1 \([^)]+\)  People:2\n    \+ link \.Manager → X1\n"
                     r"    \+ link \.Organization → O1$", out, re.M), out


def test_an_unknown_kind_is_an_error_naming_the_kinds(hr: HRProject) -> None:
    run = hr.sync()
    code, out = job(hr, str(run.id), "--changes", "--kind", "inserted")
    assert code == 2
    assert "unknown change kind `inserted`" in out
    assert "insert, update, delete, link_insert, link_delete" in out


@pytest.mark.parametrize("how", ["dry run", "blocked"])
def test_a_run_that_applies_nothing_lists_what_it_would_leave_pending(
        hr: HRProject, how: str) -> None:
    hr.write_people([["E0", "Only", "One", "01/02/2020", "", "O1"]])
    hr.sync()  # a connector holding one person: the next file crosses its thresholds
    write_files_with_pending(hr)
    run = hr.sync(dry_run=True) if how == "dry run" else hr.sync()
    assert run.state == ("succeeded" if how == "dry run" else "blocked"), run.message
    assert run.counters["unresolved"] == PENDING
    assert (run.counters["links_inserted"], run.counters["links_pending"]) == (RESOLVED, PENDING)
    code, out = job(hr, str(run.id), "--unresolved", "--limit", "1000")
    assert code == 0, out
    assert f"unresolved references of run {run.id}: {PENDING}" in out
    assert "its HR_Person row was set aside as invalid, People line 232" in out
    assert hr.state()["links"] == [("E0", "HR_Person.Organization", "O1", "O1")]  # nothing
