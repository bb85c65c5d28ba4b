"""The synchronization job end to end, on SQLite and PostgreSQL (SPEC §4)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from headcount.repository import runs as R
from headcount.repository.schema import audit_log
from hrproject import PEOPLE_HEADER, hr_project, people

# Small files cross the default 5 % thresholds with a single change.
GENEROUS = {"max_inserted_pct": 100, "max_updated_pct": 100, "max_deleted_pct": 100,
            "max_links_inserted_pct": 100,
            "max_links_deleted_pct": 100}


def test_initial_then_complete_twice_equals_once(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url, thresholds=GENEROUS) as hr:
        hr.write_people(people(50))
        first = hr.sync()
        assert first.mode == "initial"
        assert first.state == R.SUCCEEDED
        assert first.counters["inserted"] == 52  # 50 people + 2 organizations
        rows = people(50)
        rows[10][2] = "Renamed"
        rows.append(["E51", "New", "Joiner", "01/03/2021", "E25", "O2"])
        hr.write_people(rows)
        once = hr.sync()
        assert once.mode == "complete"
        assert (once.counters["inserted"], once.counters["updated"]) == (1, 1)
        after_once = hr.state()
        twice = hr.sync()
        assert twice.state == R.SUCCEEDED
        assert (twice.counters["inserted"], twice.counters["updated"],
                twice.counters["deleted"], twice.counters["links_inserted"],
                twice.counters["links_deleted"]) == (0, 0, 0, 0, 0)
        assert hr.state() == after_once


def test_half_missing_is_blocked_then_resume_applies_exactly_the_staged_changes(
        tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(40))
        hr.sync()
        before = hr.state()
        hr.write_people(people(20))
        run = hr.sync()
        assert run.state == R.BLOCKED
        assert "max_deleted_pct" in (run.message or "")
        assert "fewer" in (run.message or "")  # the file-shape guard names the drop too
        assert hr.state() == before
        assert run.counters["deleted"] == 20
        # Incremental runs are skipped while a run is blocked.
        hr.write_people([["E1", "First1", "Last1", "01/02/2020", "", "O1"]],
                        name="people_delta.csv", header=[*PEOPLE_HEADER, "Command"])
        skipped = hr.sync(mode="incremental")
        assert skipped.state == R.CANCELLED
        assert "blocked" in (skipped.message or "")
        resumed = resume(hr, run.id)
        assert resumed.state == R.WARNINGS
        state = hr.state()
        keys = {k for et, k, *_ in state["resources"] if et == "HR_Person"}
        assert keys == {f"E{i}" for i in range(1, 21)}
        # Exactly the staged changes: a fresh complete run of the same file finds nothing to do.
        again = hr.sync()
        assert again.counters["deleted"] == 0
        assert again.counters["updated"] == 0
        with hr.ctx.engine.connect() as conn:
            audit = conn.execute(audit_log.select()).all()
        assert [(a.action, a.reason) for a in audit] == [("resume", "HR confirmed the layoff")]


def resume(hr: object, run_id: int) -> R.RunRecord:
    from headcount.jobs.blocked import resume as do_resume

    return do_resume(hr.ctx, run_id, "HR confirmed the layoff")  # type: ignore[attr-defined]


def test_cancel_and_force(tmp_path: Path, db_url: str) -> None:
    from headcount.jobs.blocked import cancel

    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(40))
        hr.sync()
        hr.write_people(people(20))
        blocked = hr.sync()
        cancelled = cancel(hr.ctx, blocked.id, "wrong file")
        assert cancelled.state == R.CANCELLED
        with pytest.raises(Exception, match="needs a --reason"):
            hr.sync(force=True)
        forced = hr.sync(force=True, reason="restructuring approved")
        assert forced.state == R.WARNINGS
        assert forced.counters["deleted"] == 20


def test_renamed_mapped_column_fails_naming_it_and_changes_nothing(
        tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(10))
        hr.sync()
        before = hr.state()
        header = ["EmployeeId", "GivenName", "LastName", "StartDate", "ManagerId", "OrgCode"]
        hr.write_people(people(10), header=header)
        run = hr.sync()
        assert run.state == R.FAILED
        assert "`FirstName`" in (run.message or "")
        assert "GivenName" in (run.message or "")
        assert "people.csv, line 1" in (run.message or "")
        assert hr.state() == before


def test_conflicting_duplicate_keys_are_listed_with_their_lines(
        tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        rows = people(5)
        rows.insert(3, ["E2", "Other", "Person", "01/02/2020", "E1", "O1"])  # conflicting
        rows.append(["E5", "First5", "Last5", "01/02/2020", "E2", "O1"])  # identical
        hr.write_people(rows)
        run = hr.sync()
        assert run.state == R.WARNINGS
        assert run.counters["set_aside"] == {"duplicate": 2}
        with hr.ctx.engine.connect() as conn:
            aside = conn.execute(sa.text(
                "SELECT line, key, category, reason FROM set_aside ORDER BY line")).all()
        assert [(a.line, a.key) for a in aside] == [(3, "E2"), (5, "E2")]
        assert "lines 3, 5" in aside[0].reason
        assert hr.values("HR_Person", "E2") is None  # never "first wins"
        assert hr.values("HR_Person", "E5") is not None
        logs = _logs(hr, run.id)
        assert any("E5" in m and "identical" in m for m in logs)


def _logs(hr: object, run_id: int) -> list[str]:
    with hr.ctx.engine.connect() as conn:  # type: ignore[attr-defined]
        return [m for _, _, m in R.logs(conn, run_id)]


def test_manager_listed_after_employee_resolves(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(list(reversed(people(7))))
        run = hr.sync()
        assert run.counters["unresolved"] == 0
        assert hr.manager_of("E6") == ("E3", "E3")
        assert hr.manager_of("E2") == ("E1", "E1")


def test_unknown_manager_is_reported_then_resolves_when_it_appears(
        tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url, thresholds=GENEROUS) as hr:
        rows = people(6)
        rows[5][4] = "E99"
        hr.write_people(rows)
        run = hr.sync()
        assert run.counters["unresolved"] == 1
        assert any("E6: Manager = E99" in m for m in _logs(hr, run.id))
        assert hr.manager_of("E6") == ("E99", None)
        rows.append(["E99", "Late", "Boss", "01/01/2019", "", "O1"])
        hr.write_people(rows)
        later = hr.sync()
        assert later.counters["unresolved"] == 0
        assert hr.manager_of("E6") == ("E99", "E99")


def test_latin1_semicolon_file_is_read_exactly(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url, encoding="latin-1", separator=";") as hr:
        rows = people(3)
        rows[1][1], rows[1][2] = "Zoé", "Müller; Çağ".replace("ğ", "g")
        rows[1][2] = '"Müller; Ça"'
        hr.write_people(rows)
        run = hr.sync()
        assert run.state == R.SUCCEEDED
        assert run.files[0]["encoding"] == "latin-1"
        values = hr.values("HR_Person", "E2")
        assert values is not None
        assert (values["FirstName"], values["LastName"]) == ("Zoé", "Müller; Ça")


def test_utf8_bom_crlf_file_is_read_exactly(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        rows = people(3)
        rows[2][1] = "Łucja 東京"
        hr.write_people(rows, newline="\r\n", bom=True)
        run = hr.sync()
        assert run.state == R.SUCCEEDED
        assert run.files[0]["encoding"] == "utf-8-sig"
        values = hr.values("HR_Person", "E1")
        assert values is not None
        assert values["EmployeeId"] == "E1"  # no BOM glued to the first header or key
        assert hr.values("HR_Person", "E3")["FirstName"] == "Łucja 東京"  # type: ignore[index]
        assert hr.values("HR_Person", "E3")["LastName"] == "Last3"  # type: ignore[index]


def test_bad_date_sets_the_row_aside_and_keeps_the_stored_person(
        tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url, thresholds=GENEROUS) as hr:
        hr.write_people(people(5))
        hr.sync()
        rows = people(5)
        rows[2][3] = "31/02/2020"
        rows[2][1] = "Changed"
        hr.write_people(rows)
        run = hr.sync()
        assert run.counters["set_aside"] == {"invalid": 1}
        assert run.counters["deleted"] == 0  # a person set aside is never deleted
        assert hr.values("HR_Person", "E3")["FirstName"] == "First3"  # type: ignore[index]
        with hr.ctx.engine.connect() as conn:
            reason = conn.execute(sa.text("SELECT line, reason FROM set_aside")).one()
        assert reason.line == 4
        assert "StartDate" in reason.reason
        assert "31/02/2020" in reason.reason


def test_incremental_with_command_column(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url, thresholds=GENEROUS) as hr:
        hr.write_people(people(5))
        hr.sync()
        header = [*PEOPLE_HEADER, "Command"]
        hr.write_people([
            ["E6", "New", "Person", "01/01/2022", "E3", "O2", "insert"],
            ["E2", "First2", "Moved", "01/02/2020", "E1", "O2", "merge"],
            ["E5", "", "", "", "", "", "delete"],
        ], name="people_delta.csv", header=header)
        run = hr.sync(mode="incremental")
        assert run.state == R.SUCCEEDED, run.message
        assert (run.counters["inserted"], run.counters["updated"],
                run.counters["deleted"]) == (1, 1, 1)
        assert hr.values("HR_Person", "E5") is None
        assert hr.values("HR_Person", "E2")["LastName"] == "Moved"  # type: ignore[index]
        assert hr.values("HR_Person", "E4") is not None  # absent rows are not deleted


def test_initial_refused_on_a_filled_connector(tmp_path: Path, db_url: str) -> None:
    from headcount.errors import RunRefused

    with hr_project(tmp_path, db_url, thresholds=GENEROUS) as hr:
        hr.write_people(people(3))
        hr.sync()
        with pytest.raises(RunRefused, match="initial mode"):
            hr.sync(mode="initial")


def test_dry_run_lists_changes_and_applies_nothing(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url, thresholds=GENEROUS) as hr:
        hr.write_people(people(5))
        hr.sync()
        before = hr.state()
        hr.write_people(people(6))
        run = hr.sync(dry_run=True)
        assert run.dry_run
        assert run.counters["inserted"] == 1
        assert hr.state() == before


def test_a_ragged_row_keeps_the_stored_person(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(50))
        hr.sync()
        rows = people(50)
        rows[6][2] = "Last7, Jr"  # an unquoted comma: one field too many
        hr.write_people(rows)
        run = hr.sync()
        assert run.state == R.WARNINGS
        assert run.counters["set_aside"] == {"ragged": 1}
        assert run.counters["deleted"] == 0
        assert hr.values("HR_Person", "E7")["LastName"] == "Last7"  # type: ignore[index]
        assert hr.manager_of("E14") == ("E7", "E7")


def test_a_row_whose_key_cannot_be_read_fails_a_complete_run(
        tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(50))
        hr.sync()
        path = hr.write_people(people(49))
        with path.open("a", encoding="utf-8") as handle:
            handle.write("\n")  # harmless blank line
            handle.write('"E50\n')  # an unclosed quote swallows the rest: no key to read
        before = hr.state()
        # Not even forced: a person the run cannot name could be anyone it deletes.
        run = hr.sync(force=True, reason="try")
        assert run.state == R.FAILED
        assert "people.csv: rows whose key cannot be read (lines 52)" in (run.message or "")
        assert hr.state() == before


def test_a_quote_left_open_fails_a_complete_run_and_names_what_it_swallowed(
        tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url, thresholds=GENEROUS) as hr:
        hr.write_people(people(50))
        hr.sync()
        before = hr.state()
        rows = people(50)
        rows[39][2] = '"' + rows[39][2]  # line 41: the quote never closes
        hr.write_people(rows)
        run = hr.sync()
        assert run.state == R.FAILED
        assert ("people.csv, line 41: a quote opened on line 41 is not closed: it swallows the "
                "10 lines after it (up to line 51)") in (run.message or "")
        assert hr.state() == before


def test_a_quote_closed_rows_later_fails_a_complete_run(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url, thresholds=GENEROUS) as hr:
        hr.write_people(people(50))
        hr.sync()
        before = hr.state()
        rows = people(50)
        rows[9][2] = '"' + rows[9][2]  # line 11 opens a quote…
        rows[14][2] = 'x"'  # …that line 16 closes: a record of the right width, 6 rows inside
        hr.write_people(rows)
        run = hr.sync()
        assert run.state == R.FAILED
        assert ("people.csv, line 11: it appears in line 12, a whole row inside a quoted field "
                "that opened on line 11 and closed on line 16 — a quote may be misplaced; the "
                "run would delete HR_Person `E12`") in (run.message or "")
        assert hr.state() == before


def test_a_line_cut_short_in_its_key_fails_a_complete_run(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url, thresholds=GENEROUS) as hr:
        hr.write_people(people(50))
        hr.sync()
        before = hr.state()
        path = hr.write_people(people(49))
        with path.open("a", encoding="utf-8") as handle:
            handle.write("E5\n")  # E50, cut after two characters: E5 is somebody else
        run = hr.sync()
        assert run.state == R.FAILED
        assert "rows whose key cannot be read (lines 51)" in (run.message or "")
        assert hr.state() == before


def test_a_nul_character_sets_the_row_aside_on_every_database(
        tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url, thresholds=GENEROUS) as hr:
        rows = people(5)
        rows[2][1] = 'Fir"st\x003'  # a quote sends the file through the exact reader
        hr.write_people(rows)
        run = hr.sync()
        assert run.state == R.WARNINGS
        assert run.counters["set_aside"] == {"ragged": 1}
        assert run.counters["inserted"] == 6


def test_a_key_shifted_by_a_separator_too_many_keeps_its_person(
        tmp_path: Path, db_url: str) -> None:
    # A review found it: with the key in the second column, an unquoted comma in the first
    # moved E5 into a named column, the row was held as `rst5`, and E5 was deleted.
    with hr_project(tmp_path, db_url, thresholds=GENEROUS) as hr:
        header = ["FirstName", "EmployeeId", "LastName", "StartDate", "ManagerId", "OrgCode"]
        rows = [[r[1], r[0], *r[2:]] for r in people(20)]
        hr.write_people(rows, header=header)
        hr.sync()
        before = hr.state()
        rows[4][0] = "Fi,rst5"
        hr.write_people(rows, header=header)
        run = hr.sync(force=True, reason="try")
        assert run.state == R.FAILED
        assert "the run would delete HR_Person `E5`" in (run.message or "")
        assert hr.state() == before


def test_a_quoted_address_over_several_lines_is_no_alarm(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url, thresholds=GENEROUS) as hr:
        rows = people(10)
        hr.write_people(rows)
        hr.sync()
        rows[3][2] = '"Last4\n12 Main St, Springfield, IL, 62701, US"'
        hr.write_people(rows[:9])  # E10 leaves, legitimately
        run = hr.sync()
        assert run.state in (R.SUCCEEDED, R.WARNINGS), run.message
        assert run.counters["deleted"] == 1


@pytest.mark.parametrize(("limits", "crossed"), [
    # 1 of 42 resources changed (40 people, 2 organizations): 2.4 % of those stored.
    ({"max_updated_pct": 2.3, "max_links_deleted_pct": 100}, "max_updated_pct = 2.3 % exceeded "
     "(2.4 %)"),
    # 1 of 79 links replaced (39 managers, 40 organizations): 1.3 % of those stored.
    ({"max_updated_pct": 100, "max_links_deleted_pct": 1.2}, "max_links_deleted_pct = 1.2 % "
     "exceeded (1.3 %)"),
])
def test_percent_thresholds_count_what_is_stored(tmp_path: Path, db_url: str,
                                                  limits: dict[str, float], crossed: str) -> None:
    with hr_project(tmp_path, db_url, thresholds={**GENEROUS, **limits}) as hr:
        hr.write_people(people(40))
        hr.sync()
        rows = people(40)
        rows[9] = ["E10", "Renamed", *rows[9][2:4], "E3", "O1"]  # and E10's manager: E5 → E3
        hr.write_people(rows)
        run = hr.sync()
    assert run.state == R.BLOCKED
    assert crossed in (run.message or "")
