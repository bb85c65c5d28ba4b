"""Manual edits and the Resource Reconciliation in a real browser (Playwright driving Debian's
Chromium): an HR user changes a record's title with a reason, finds it held on the record's page
and on the Resource Reconciliation page, and declines it there; both pages pass axe-core with no
serious violation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browsing import check_accessibility, log_in, served_sample, snap

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("e2e-reconciliation") / "hr"
    with served_sample(folder) as base:
        yield base



def test_edit_a_title_then_decline_it_on_the_reconciliation_page(page: Any) -> None:
    log_in(page, "hr")

    page.goto("/entity-types/Directory_UserRecord/E00002")
    page.get_by_role("heading", name="Manual values").wait_for()  # loaded by htmx
    page.get_by_role("link", name="Edit values").click()
    page.wait_for_url("**/edit")
    check_accessibility(page)
    page.get_by_label("Title", exact=False).first.fill("Chief Tester")
    page.get_by_label("Reason (required, shown to reviewers)").fill("promotion, HR is late")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/entity-types/Directory_UserRecord/E00002")
    held = page.locator("#manual-values")
    held.get_by_text("unreconciled").wait_for()
    assert "Chief Tester" in held.inner_text()
    snap(page, "20-manual-values")

    page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name="Resource Reconciliation").click()
    page.wait_for_url("**/reconciliation")
    check_accessibility(page)
    snap(page, "21-reconciliation")
    page.get_by_label("Select Title of Directory_UserRecord E00002").check()
    page.get_by_label("Comment (kept in the audit log)").fill("the manager confirmed")
    page.get_by_role("button", name="Decline").click()
    page.get_by_role("status").get_by_text("1 value declined").wait_for()
    page.get_by_label("State").select_option("protected")
    page.get_by_role("button", name="Filter").click()
    assert "Chief Tester" in page.locator("table.reconciliation").inner_text()
