"""My Tasks in a real browser (Playwright driving Debian's Chromium): an HR user sees the count
of open tasks in the top bar, opens My Tasks, approves one task and declines another with a
comment; a viewer sees none, and the API refuses their decision with 403; a manager (a viewer by
role) sees the task of their report only, and approves it. Each page passes axe-core;
screenshots are saved as artifacts."""

from __future__ import annotations

import json
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
    folder = tmp_path_factory.mktemp("e2e-tasks") / "hr"
    url = f"sqlite:///{folder.parent}/headcount.db"
    make_task_project(folder, url)
    with serve(make_app(folder, url)) as base:
        yield base



def _my_tasks(page: Any) -> Any:
    return page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name="My Tasks", exact=False)


def _open(page: Any, subject: str) -> None:
    page.get_by_role("row").filter(has_text=subject).get_by_role(
        "link", name="Task", exact=False).click()
    page.wait_for_url(re.compile(r".*/tasks/\d+$"))


def test_an_hr_user_approves_one_task_and_declines_another(page: Any) -> None:
    log_in(page, "hr")
    assert "3" in _my_tasks(page).inner_text()
    _my_tasks(page).click()
    page.wait_for_url("**/tasks")
    page.get_by_text("3 open tasks").wait_for()
    check_accessibility(page)
    snap(page, "30-my-tasks")

    page.get_by_label("Subject (key or name)").fill("E00004")
    page.get_by_role("button", name="Filter").click()  # htmx swaps the list in
    page.get_by_text("1 open task", exact=True).wait_for()
    page.wait_for_url("**/tasks?*subject=E00004*")

    page.goto("/tasks")
    _open(page, "E00002")
    assert "Chief of staff" in page.get_by_role("table").first.inner_text()
    check_accessibility(page)
    snap(page, "31-task")
    approve = page.get_by_role("form", name="Approve")
    approve.get_by_label("Comment").fill("as agreed with the manager")
    approve.get_by_role("button", name="Approve").click()
    page.get_by_role("status").get_by_text("Decided: Approve").wait_for()
    assert "completed" in page.get_by_role("status").inner_text()
    assert "as agreed with the manager" in page.get_by_role("table").nth(1).inner_text()
    check_accessibility(page)

    _my_tasks(page).click()
    page.wait_for_url("**/tasks")
    _open(page, "E00003")
    decline = page.get_by_role("form", name="Decline")
    decline.get_by_label("Comment", exact=False).fill("not this year")
    decline.get_by_role("button", name="Decline").click()
    page.get_by_role("status").get_by_text("Decided: Decline").wait_for()
    assert "aborted" in page.get_by_role("status").inner_text()
    snap(page, "32-task-declined")
    check_accessibility(page)
    assert "1" in _my_tasks(page).inner_text()


def test_a_viewer_sees_no_task_and_the_api_refuses_their_decision(page: Any) -> None:
    log_in(page, "view")
    assert _my_tasks(page).count() == 0
    page.goto("/tasks")
    page.get_by_text("No open task for you").wait_for()
    check_accessibility(page)
    headers = json.loads(page.locator("body").get_attribute("hx-headers"))
    # A task still open (the HR user's test decided the others): refused for who, not when.
    task = next(i for i in (1, 2, 3) if page.request.get(f"/api/tasks/{i}").json()["task"]["open"])
    assert page.request.get(f"/api/tasks/{task}").json()["may_act"] is False
    answer = page.request.post(f"/api/tasks/{task}/decision", headers=headers,
                               data={"transition": "Approve"})
    assert answer.status == 403
    assert "may not act" in answer.json()["detail"]


def test_a_manager_sees_and_decides_the_task_of_their_report_only(page: Any) -> None:
    log_in(page, "boss")  # a viewer by role, the manager of E00004's record
    assert "1" in _my_tasks(page).inner_text()
    _my_tasks(page).click()
    page.wait_for_url("**/tasks")
    page.get_by_text("1 open task", exact=True).wait_for()
    assert "E00004" in page.get_by_role("table").inner_text()
    check_accessibility(page)
    _open(page, "E00004")
    approve = page.get_by_role("form", name="Approve")
    approve.get_by_label("Comment").fill("my report: agreed")
    approve.get_by_role("button", name="Approve").click()
    page.get_by_role("status").get_by_text("Decided: Approve").wait_for()
    snap(page, "33-task-by-the-manager")
