"""The review of a managed system's accounts in a real browser: an administrator opens
"Accounts — Active Directory" from the Reviews menu, filters the orphans with a suggested owner,
accepts two in bulk, confirms another for deletion, then opens an account and its owner. Each
page passes axe-core."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browsing import check_accessibility, log_in, serve, snap

from accountsproject import make_accounts_project, sync_ad
from webproject import make_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("e2e-accounts") / "hr"
    url = f"sqlite:///{folder.parent}/headcount.db"
    folder, _ = make_accounts_project(folder, url)
    assert sync_ad(folder, url).state == "succeeded"
    with serve(make_app(folder, url)) as base:
        yield base


def test_orphans_are_reviewed_from_the_reviews_menu(page: Any) -> None:
    log_in(page, "admin")
    top = page.get_by_role("navigation", name="Administration")
    top.get_by_text("Reviews").click()
    top.get_by_role("link", name="Accounts — Active Directory").click()
    page.wait_for_url("**/systems/AD")
    check_accessibility(page)
    page.get_by_label("with a suggested owner").check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**suggested=true**")
    rows = page.locator("table.accounts tbody tr")
    first = rows.nth(0).locator("td").nth(1).inner_text().split()[-1]
    second = rows.nth(1).locator("td").nth(1).inner_text().split()[-1]
    page.get_by_label(f"Select account {first}").check()
    page.get_by_label(f"Select account {second}").check()
    page.get_by_label("Comment (kept in the audit log)").fill("checked with HR")
    page.get_by_role("button", name="Accept the suggested owner").click()
    page.get_by_role("status").get_by_text("2 suggested owner(s) accepted").wait_for()
    snap(page, "40-accounts-review")
    third = rows.nth(0).locator("td").nth(1).inner_text().split()[-1]
    page.get_by_label(f"Select account {third}").check()
    page.get_by_role("button", name="Confirm for deletion").click()
    page.get_by_role("status").get_by_text("confirmed for delete").wait_for()
    check_accessibility(page)

    page.goto(f"/entity-types/AD_User/{first}")
    page.get_by_role("heading", name="Owner in Active Directory").wait_for()
    check_accessibility(page)
    # The owner by name, its eye icon labelled with the name.
    owner = page.locator("dt:text-is('Owner') + dd a.eye")
    owner_name = page.locator("dt:text-is('Owner') + dd a:not(.eye)").inner_text()
    assert owner.get_attribute("aria-label") == f"Open {owner_name}"
    owner.click()
    page.wait_for_url("**/entity-types/Directory_User/*")
    page.get_by_role("heading", name="Accounts").wait_for()
    assert first in page.locator("section", has=page.locator("#accounts")).inner_text()
