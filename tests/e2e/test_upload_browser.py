"""Manual upload in a real browser (Playwright driving Debian's Chromium), the issue's done-when:
an HR user downloads the template from the Upload page, fills it (openpyxl) with new people and
deliberate mistakes, uploads it with the form and sees each error beside its row, downloads the
file with its problems, uploads it fixed, reads the preview, loads it, finds the new people from
the left menu, and reads on a loaded value which upload, tab and row set it. Every page passes
axe-core; screenshots are kept."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from browsing import check_accessibility, log_in, serve, snap
from openpyxl.worksheet.worksheet import Worksheet

from webproject import make_app, make_project

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PEOPLE = "Identity"
RECORDS = "Identity record"
NEW = [("N0001", "Moreau", "Léa"), ("N0002", "Okafor", "Chidi"), ("N0003", "Lindqvist", "Sven")]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("e2e-upload") / "hr"
    url = f"sqlite:///{folder.parent}/headcount.db"
    app = make_app(make_project(folder, url, people=200), url)
    with serve(app) as base:
        yield base
    app.state.headcount.engine.dispose()


def _letter(sheet: Worksheet, header: str) -> str:
    for cell in sheet[1]:
        if str(cell.value).removesuffix(" *") == header:
            return str(cell.column_letter)
    raise KeyError(header)


def _put(sheet: Worksheet, row: int, values: dict[str, Any]) -> None:
    for header, value in values.items():
        sheet[f"{_letter(sheet, header)}{row}"] = value


def _fill(path: Path) -> list[tuple[str, int, str, str]]:
    """The new people, their records in existing organizations, and three mistakes: a
    duplicate key (an error on both rows), a bad date, a manager who does not exist. Where
    each error is expected: tab, row, header (letter), what the message says."""
    book = openpyxl.load_workbook(path)
    people, records = book[PEOPLE], book[RECORDS]
    for row, (key, last, first) in enumerate(NEW, start=3):
        _put(people, row, {"Command": "Add", "Identifier": key, "Last name": last,
                           "First name": first})
        _put(records, row, {"Command": "Add", "Record identifier": f"R{key}", "Identity": key,
                            "User type": "permanent", "Contract start date": "01/03/2026",
                            "Organization": "ORG002", "Manager": "E00001", "Site": "PAR",
                            "Login": f"{first.lower()}.{last.lower()}"})
    _put(people, 6, {"Command": "Add", "Identifier": "N0001", "Last name": "Moreau",
                     "First name": "Léa"})
    _put(records, 4, {"Contract start date": "31/02/2026"})
    _put(records, 5, {"Manager": "NOBODY"})
    book.save(path)
    key = f"Identifier ({_letter(people, 'Identifier')})"
    return [(PEOPLE, 3, key, "the key `N0001` is also in row 6"),
            (PEOPLE, 6, key, "the key `N0001` is also in row 3"),
            (RECORDS, 4, f"Contract start date ({_letter(records, 'Contract start date')})",
             "`31/02/2026` is not a date"),
            (RECORDS, 5, f"Manager ({_letter(records, 'Manager')})",
             "`NOBODY` is not a key of an Identity")]


def _fix(path: Path) -> None:
    """The file sent back, corrected in its own cells (its Problems column is read past)."""
    book = openpyxl.load_workbook(path)
    people, records = book[PEOPLE], book[RECORDS]
    people.delete_rows(6)  # the duplicate
    _put(records, 4, {"Contract start date": "28/02/2026"})
    _put(records, 5, {"Manager": "E00001"})
    book.save(path)


def _upload(page: Any, path: Path) -> None:
    page.get_by_label(re.compile("An Excel workbook")).set_input_files(str(path))
    page.get_by_role("button", name="Upload and verify").click()
    page.wait_for_url(re.compile(r"/upload/\d+$"))


def _error_row(page: Any, tab: str, row: int) -> Any:
    table = page.get_by_role("table", name=f"Tab {tab}", exact=True)
    return table.locator("tbody tr").filter(
        has=page.get_by_role("rowheader", name=str(row), exact=True))


def test_an_hr_user_uploads_fixes_previews_loads_and_finds_the_new_people(
        page: Any, tmp_path: Path) -> None:
    log_in(page, "hr")
    page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name="Upload").click()
    page.get_by_role("heading", name="Upload", exact=True).wait_for()
    check_accessibility(page)
    snap(page, "80-upload-list")
    with page.expect_download() as download:
        page.get_by_role("link", name="Empty template with the Command column").click()
    template = tmp_path / download.value.suggested_filename
    assert template.name == "workforce-empty-command.xlsx"
    download.value.save_as(template)
    expected = _fill(template)

    _upload(page, template)
    page.get_by_role("heading", name="Errors").wait_for()
    summary = page.locator("#verification + p").inner_text()
    assert ", 4 errors" in summary, summary
    # Each error beside its row: the row number, the column and the message on one line, the
    # cell in error marked among the row's cells as uploaded.
    for tab, row, column, says in expected:
        shown = _error_row(page, tab, row)
        assert shown.count() == 1, (tab, row)
        assert f"{column}: {says}" in shown.locator("td.why").inner_text()
        assert shown.locator("td.wrong").count() == 1
    assert "N0001" in _error_row(page, PEOPLE, 6).locator("td.wrong").inner_text()
    assert "NOBODY" in _error_row(page, RECORDS, 5).locator("td.wrong").inner_text()
    check_accessibility(page)
    snap(page, "81-upload-errors")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the file with its problems").click()
    problems = tmp_path / "problems.xlsx"
    download.value.save_as(problems)
    sent_back = openpyxl.load_workbook(problems)[RECORDS]
    assert "is not a date" in str(sent_back["A4"].value)  # a first column Problems

    _fix(problems)
    page.get_by_role("link", name="Upload", exact=True).first.click()
    _upload(page, problems)
    summary = page.locator("#verification + p").inner_text()
    assert "The file verifies." in summary, page.locator("main").inner_text()
    check_accessibility(page)
    snap(page, "82-upload-verified")
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("heading", name="Preview", exact=True).wait_for()
    sentences = page.get_by_role("list", name="Loaded now, this file would:").inner_text()
    assert "add 3 " in sentences, sentences
    check_accessibility(page)
    snap(page, "83-upload-preview")
    page.get_by_label(re.compile("I have read the preview")).check()
    page.get_by_role("button", name="Load", exact=True).click()
    page.get_by_text(re.compile("^Loaded:")).wait_for()
    # Its Add rows are not reported against the repository they just changed.
    assert "When it was uploaded: 0 errors" in page.locator("#verification + p").inner_text()
    assert page.locator("#errors").count() == 0
    check_accessibility(page)
    snap(page, "84-upload-loaded")

    key, last, _ = NEW[1]
    page.get_by_role("navigation", name="Entity types").get_by_role(
        "link", name=re.compile(r"^\W*Identity \d")).click()
    # The new person is found by name with the list's filter.
    page.get_by_label("Filter on").select_option("LastName")
    page.get_by_label("Operator").select_option("is")
    page.get_by_label("Value").fill(last)
    page.get_by_role("button", name="Add filter").click()
    page.wait_for_url(re.compile(r"f\.LastName"))
    found = page.locator("main tbody tr")
    assert found.count() == 1
    assert key in found.inner_text()
    check_accessibility(page)
    snap(page, "85-upload-new-people")
    page.locator(f"a.eye[href='/entity-types/Directory_User/{key}']").click()
    page.locator("summary", has_text="Provenance").first.click()
    origin = page.locator("table.provenance tr", has=page.get_by_role(
        "rowheader", name="Last name")).inner_text()
    assert re.search(r"upload \d+ by hr, file problems\.xlsx, tab Identity, row 4", origin), \
        origin
    check_accessibility(page)
    snap(page, "86-upload-provenance")

    page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name="Upload").click()
    page.get_by_role("link", name="Upload 2", exact=True).click()
    page.get_by_label("Why").fill("the wrong people")
    page.get_by_role("button", name="Roll back").click()
    page.get_by_text(re.compile("^Rolled back:")).wait_for()
    assert "It was loaded, then rolled back" in page.locator("#verification + p").inner_text()
    check_accessibility(page)
    snap(page, "87-upload-rolled-back")


def test_a_load_over_the_thresholds_is_blocked_and_says_what_to_do(page: Any, tmp_path: Path
                                                                   ) -> None:
    log_in(page, "hr")
    page.goto("/upload")
    with page.expect_download() as download:
        page.get_by_role("link", name="Full template", exact=True).click()
    full = tmp_path / "full.xlsx"
    download.value.save_as(full)
    book = openpyxl.load_workbook(full)
    people = book[PEOPLE]
    for row in range(3, 43):  # 40 of 200 people renamed: over the thresholds
        people[f"{_letter(people, 'Last name')}{row}"] = f"Renamed{row}"
    book.save(full)
    _upload(page, full)
    page.get_by_label(re.compile("I have read the preview")).check()
    page.get_by_role("button", name="Load", exact=True).click()
    page.get_by_text(re.compile("^Blocked: the load crossed a threshold")).wait_for()
    anyway = page.get_by_role("form", name="Load anyway").inner_text()
    assert "threshold — connector Directory: max_updated_pct = 5 % exceeded" in anyway, anyway
    check_accessibility(page)
    snap(page, "88-upload-blocked")
