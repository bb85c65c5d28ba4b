"""The seed's verification in a real browser (Playwright driving Debian's Chromium): log in,
launch the HR synchronization, read its job result, find the entity types in the left menu, walk
from a person to its manager and organization with the eye icon and back through the reverse
link, then resume a run blocked by a truncated file and find it in the audit log. Every main page
passes axe-core with no serious violation; screenshots are saved as artifacts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browsing import check_accessibility, log_in, new_page, serve, snap

from webproject import PASSWORD, make_app, make_project

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("e2e") / "hr"
    url = f"sqlite:///{folder.parent}/headcount.db"
    make_project(folder, url, synchronized=False)
    with serve(make_app(folder, url)) as base:
        yield base, folder


@pytest.fixture
def page(browser: Any, site: tuple[str, Path]) -> Iterator[Any]:
    with new_page(browser, site[0]) as opened:
        yield opened


def wait_for_state(page: Any, states: tuple[str, ...]) -> str:
    status = page.locator("#run-status .state")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = status.inner_text().strip()
        if text in states:
            return str(text)
        time.sleep(0.3)
    raise AssertionError(f"the run stayed {status.inner_text()}")


def test_seed_verification_walk(page: Any, site: tuple[str, Path]) -> None:
    log_in(page)
    snap(page, "01-home")
    check_accessibility(page)
    menu = page.get_by_role("navigation", name="Entity types").get_by_role(
        "list", name="Human resources")
    for label in ("Person", "Organization", "Site"):
        assert menu.get_by_role("link", name=label).count() == 1

    page.get_by_role("link", name="Human resources").first.click()
    page.get_by_role("button", name="Launch synchronization").click()
    page.wait_for_url("**/runs/*")
    # The state in words (issue 12).
    assert wait_for_state(page, ("Succeeded", "Succeeded with warnings", "Failed")) == \
        "Succeeded"
    counters = page.get_by_role("table", name="Counters by entity type")
    assert "HR_Person" in counters.inner_text()
    assert "300" in counters.inner_text()
    snap(page, "02-job-result")
    check_accessibility(page)

    menu.get_by_role("link", name="Person").click()
    assert "300 resources" in page.locator(".total").inner_text()
    check_accessibility(page)
    snap(page, "03-list")
    page.get_by_label("Search").fill("E00002")
    page.get_by_role("button", name="Search").click()
    page.locator("a.eye[href='/entity-types/HR_Person/E00002']").click()
    page.wait_for_url("**/entity-types/HR_Person/E00002")
    snap(page, "04-person")
    check_accessibility(page)
    person_title = page.locator("h1").inner_text()
    # The page is the person's name, the key beside it.
    person_name = person_title.removesuffix("E00002").strip()
    assert person_name
    assert page.locator("h1 .key").inner_text() == "E00002"

    person_url = page.url
    manager_link = page.locator("dt:text-is('Manager') + dd a.eye").first
    manager_key = manager_link.get_attribute("href").rsplit("/", 1)[-1]
    manager_name = page.locator("dt:text-is('Manager') + dd a:not(.eye)").first.inner_text()
    assert manager_name != manager_key
    assert manager_link.get_attribute("aria-label") == f"Open {manager_name}"
    manager_link.click()
    page.wait_for_url(f"**/entity-types/HR_Person/{manager_key}")
    assert page.locator("h1").inner_text().startswith(manager_name)
    # Back through the reverse link: the manager's subordinates list the person by name (with
    # the filter when they are more than a page).
    subordinates = page.locator("#linked-HR_Person-Manager")
    if subordinates.get_by_role("link", name=f"Open {person_name}").count() == 0:
        page.get_by_label("Filter Subordinates by name or key").fill(person_name.lower())
        subordinates.locator(".key", has_text="E00002").wait_for()
    subordinates.get_by_role("link", name=f"Open {person_name}").first.click()
    page.wait_for_url(person_url)

    page.locator("dt:text-is('Organization') + dd a.eye").first.click()
    page.wait_for_url("**/entity-types/HR_Organization/*")
    snap(page, "05-organization")
    check_accessibility(page)
    # The flip side: the organization lists its people, the person among them.
    people = page.locator("#linked-HR_Person-Organization")
    if people.get_by_role("link", name=f"Open {person_name}").count() == 0:
        page.get_by_label("Filter Persons by name or key").fill("E00002")
        people.locator(".key", has_text="E00002").wait_for()
    people.get_by_role("link", name=f"Open {person_name}").first.click()
    page.wait_for_url(person_url)
    assert page.locator("h1").inner_text() == person_title

    page.get_by_role("link", name="History").click()
    # The history in sentences (issue 12), each with where it came from.
    assert "HR file hr_people.csv line" in page.locator("ol.change-lines").inner_text()


def test_blocked_run_is_resumed_with_a_reason_and_audited(page: Any,
                                                          site: tuple[str, Path]) -> None:
    _, folder = site
    people = folder / "data" / "hr_people.csv"
    lines = people.read_text(encoding="latin-1").splitlines(keepends=True)
    people.write_text("".join(lines[: len(lines) // 2]), encoding="latin-1")
    log_in(page)
    page.goto("/connectors/HR")
    page.get_by_role("button", name="Launch synchronization").click()
    page.wait_for_url("**/runs/*")
    blocked = "Blocked: waiting for a decision"
    assert wait_for_state(page, (blocked, "Succeeded", "Failed")) == blocked
    page.get_by_label("Kind").select_option("delete")
    page.get_by_role("button", name="Filter").click()
    assert page.locator("tr.kind-delete").count() > 0
    snap(page, "06-blocked-run")
    check_accessibility(page)
    assert page.get_by_role("table", name="What resuming gives").count() == 1
    page.get_by_label("Reason to resume").fill("HR confirmed the reorganisation")
    page.get_by_label("I confirm the").check()
    page.get_by_role("button", name="Resume").click()
    wait_for_state(page, ("Succeeded with warnings",))
    page.goto("/audit")
    audit = page.locator("table").inner_text()
    assert "resume" in audit
    assert "HR confirmed the reorganisation" in audit
    snap(page, "07-audit-log")
    check_accessibility(page)


def test_keyboard_alone(page: Any, site: tuple[str, Path]) -> None:
    page.goto("/login")
    assert page.evaluate("document.activeElement.id") == "name"  # focus starts on the form
    page.keyboard.type("view")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim().startsWith('Person')"):
            break
    else:
        raise AssertionError("the Person menu entry cannot be reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/entity-types/HR_Person")
