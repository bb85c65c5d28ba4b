"""Starting a workflow by hand and deciding in bulk, in a real browser (Playwright driving
Debian's Chromium): an HR user opens Start a workflow, fills the New person form, sees an error
beside its field, then the homonym of an existing person with its link, creates anyway and lands
on the task that shows the homonym to the reviewer; then ticks two alike tasks in My Tasks and
approves them at once. Each page passes axe-core; screenshots are saved as artifacts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from browsing import check_accessibility, log_in, serve, snap

from taskproject import make_task_project
from webproject import make_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("e2e-forms") / "hr"
    url = f"sqlite:///{folder.parent}/headcount.db"
    make_task_project(folder, url)
    with serve(make_app(folder, url)) as base:
        yield base


def test_a_new_person_with_a_homonym_is_created_only_when_asked(page: Any) -> None:
    log_in(page, "hr")
    page.goto("/tasks")
    page.get_by_role("link", name="Start a workflow").click()
    page.wait_for_url("**/workflows/start")
    check_accessibility(page)
    snap(page, "40-start-a-workflow")
    page.get_by_role("link", name="New person").click()
    page.wait_for_url("**/workflows/start/NewPerson")
    check_accessibility(page)
    page.get_by_label("Person id").fill("P3")
    page.get_by_label("First name").fill("zoe")
    page.get_by_label("Birth date").fill("1990-05-17")
    page.get_by_role("button", name="Start").click()
    page.get_by_text("Not started: 1 value to correct").wait_for()
    assert page.get_by_label("Last name").get_attribute("aria-invalid") == "true"
    check_accessibility(page)
    page.get_by_label("Last name").fill("DUPONT")
    page.get_by_role("button", name="Start").click()
    warning = page.get_by_role("alert").filter(has_text="Possible homonyms")
    warning.wait_for()
    assert "same names, same birth date" in warning.inner_text()
    assert warning.get_by_role("link", name="Dupont Zoé").get_attribute(
        "href") == "/entity-types/Person/P1"
    check_accessibility(page)
    snap(page, "41-form-homonym")
    page.get_by_label("Create anyway").check()
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(re.compile(r".*/tasks/\d+\?decided=started$"))
    assert "Possible homonyms" in page.content()
    check_accessibility(page)
    snap(page, "42-task-with-homonym")


def test_two_alike_tasks_are_approved_at_once(page: Any) -> None:
    log_in(page, "hr")
    for key in ("E00040", "E00041"):
        page.goto(f"/workflows/start/Retitle?key={key}")
        page.get_by_label("Title", exact=True).fill("Auditor")
        page.get_by_role("button", name="Start").click()
        page.wait_for_url(re.compile(r".*/tasks/\d+\?decided=started$"))
    page.goto("/tasks?subject=E0004")
    for key in ("E00040", "E00041"):
        page.get_by_role("row").filter(has_text=key).get_by_role("checkbox").check()
    page.get_by_label("Comment (required to decline or abort)").fill("both agreed")
    page.get_by_role("button", name="Decide the ticked tasks").click()
    page.get_by_role("status").get_by_text("Decided 2 tasks").wait_for()
    check_accessibility(page)
    snap(page, "43-bulk-approved")
