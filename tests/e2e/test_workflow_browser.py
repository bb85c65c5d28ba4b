"""HR → identities through the workforce template's workflows in a real browser (Debian's
Chromium): after the sample's next day, an HR user sees the new employees in the top bar's
count, approves one, declines one with a comment and sends one back (Refine) — which returns
to HR's inbox as a request to look at again; the run, workflow and identity pages list them.
Each page passes axe-core; screenshots are saved as artifacts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browsing import check_accessibility, log_in, serve, snap

from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.samples import hrfiles
from webproject import make_app, make_project

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PEOPLE = 500  # five employees join the next day; a contractor comes back as an employee
NEW = "/tasks?workflow=Directory_User_NewEmployee"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("e2e-workflows") / "hr"
    url = f"sqlite:///{folder.parent}/headcount.db"
    make_project(folder, url, people=PEOPLE,
                 extra=[Path(hrfiles.__file__).with_name("workflows.yaml")])
    hrfiles.write_dataset(hrfiles.generate_next_day(hrfiles.generate_day_one(PEOPLE)),
                          folder / "data")
    ctx = ProjectContext.open(folder, url)
    try:
        synchronize(ctx, SyncRequest("HR"))
    finally:
        ctx.close()
    with serve(make_app(folder, url)) as base:
        yield base


def _my_tasks(page: Any) -> Any:
    return page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name="My Tasks", exact=False)


def _open_nth(page: Any, n: int) -> None:
    page.goto(NEW)
    page.get_by_role("link", name=re.compile(r"^Task \d+")).nth(n).click()
    page.wait_for_url(re.compile(r".*/tasks/\d+$"))


def _decide(page: Any, name: str, comment: str) -> None:
    form = page.get_by_role("form", name=name)
    form.get_by_label("Comment", exact=False).fill(comment)
    form.get_by_role("button", name=name).click()
    page.get_by_role("status").get_by_text(f"Decided: {name}").wait_for()


def test_hr_approves_declines_and_refines_new_employees(page: Any) -> None:
    log_in(page, "hr")
    assert "6" in _my_tasks(page).inner_text()  # five new employees and one re-key
    _my_tasks(page).click()
    page.wait_for_url("**/tasks")
    page.get_by_text("6 open tasks").wait_for()
    assert "New employee" in page.locator("main").inner_text()
    assert "Re-key" in page.locator("main").inner_text()
    check_accessibility(page)
    snap(page, "40-new-employees-waiting")

    _open_nth(page, 0)
    assert "New hire:" in page.locator("main").inner_text()
    check_accessibility(page)
    _decide(page, "Approve", "Welcome aboard")
    assert "completed" in page.get_by_role("status").inner_text()
    snap(page, "41-new-employee-approved")

    _open_nth(page, 0)
    _decide(page, "Decline", "The offer was withdrawn")
    assert "aborted" in page.get_by_role("status").inner_text()

    _open_nth(page, 0)
    _decide(page, "Refine", "Check the start date with the manager")
    # Back to HR's request, in HR's inbox, with the reviewer's comment kept.
    page.goto("/tasks")
    page.get_by_text("4 open tasks").wait_for()
    assert "RefinePending" in page.locator("main").inner_text()
    snap(page, "42-sent-back")

    # The run lists what it started; the workflow page tells its story.
    page.goto("/runs/2")
    page.get_by_role("heading", name=re.compile("Workflows started")).wait_for()
    check_accessibility(page)
    page.get_by_role("link", name=re.compile(r"Directory_User_EndOfContract #\d+")).first.click()
    page.wait_for_url(re.compile(r".*/workflows/\d+$"))
    check_accessibility(page)
    subject = page.get_by_role("definition").first.get_by_role("link").first
    subject.click()
    page.get_by_role("heading", name=re.compile(r"Workflows \(\d+\)")).wait_for()
    check_accessibility(page)
    snap(page, "43-identity-workflows")
