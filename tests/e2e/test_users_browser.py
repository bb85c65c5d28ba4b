"""User administration and the profile page in a real browser (issue 12 items 7 and 8): an
administrator adds a user, changes their role, resets their password and disables them — whose
open page is refused on its next click — and a user sets French and their time zone; each page
passes axe and does not scroll sideways at 1366 px."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browsing import check_accessibility, log_in, new_page, served_sample, snap

from webproject import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("usersbrowser") / "hr"
    with served_sample(folder) as base:
        yield base


def fits(page: Any) -> None:
    """Accessible, and no horizontal scrolling at a laptop's 1366 px."""
    check_accessibility(page)
    width = page.evaluate("() => [document.documentElement.scrollWidth, "
                          "document.documentElement.clientWidth]")
    assert width[0] <= width[1], width


def test_an_administrator_manages_a_user(page: Any, browser: Any, site: str) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page)
    page.goto("/users")
    fits(page)
    page.get_by_label("Name", exact=True).fill("nadia")
    page.get_by_label("Password (at least 8 characters)").fill(PASSWORD)
    page.get_by_label("Role").select_option("viewer")
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_url("**/users/nadia")

    with new_page(browser, site) as theirs:  # nadia, logged in elsewhere
        log_in(theirs, "nadia")

        page.get_by_label("Role", exact=True).select_option("reviewer")
        page.get_by_role("button", name="Change the role").click()
        page.get_by_text("The role was changed.").wait_for()
        page.get_by_role("button", name="Reset the password").click()
        generated = page.get_by_label("New password", exact=True).input_value()
        assert len(generated) >= 8
        fits(page)
        snap(page, "users-30-password-made-up")
        # The reset ended nadia's session: she logs in with the password handed to her.
        theirs.goto("/runs")
        assert "/login" in theirs.url
        theirs.get_by_label("Name").fill("nadia")
        theirs.get_by_label("Password").fill(generated)
        theirs.get_by_role("button", name="Log in").click()
        theirs.wait_for_url("**/runs")

        page.get_by_role("button", name="Disable").click()
        page.get_by_text("The user was disabled").wait_for()
        fits(page)
        snap(page, "users-31-disabled")
        theirs.get_by_role("link", name="Job Execution").click()
        theirs.wait_for_url("**/login**")

    page.goto("/users")
    row = page.get_by_role("row").filter(has_text="nadia")
    assert row.get_by_role("cell").all_inner_texts()[1:3] == ["Reviewer", "Disabled"]
    snap(page, "users-32-list")
    # The last administrator is kept, with a clear message.
    page.goto("/users/admin")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Change the role").click()
    page.get_by_role("alert").get_by_text("admin is the last enabled administrator").wait_for()
    fits(page)
    snap(page, "users-33-last-administrator")


def test_a_user_sets_french_and_their_time_zone(page: Any) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, "view")
    page.get_by_role("link", name="Profile").click()
    page.wait_for_url("**/profile")
    fits(page)
    assert page.locator("#last-login").inner_text().endswith(" UTC")
    page.get_by_label("Language").select_option("fr")
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_role("button", name="Save the preferences").click()
    page.get_by_role("button", name="Se déconnecter").wait_for()
    assert page.locator("#last-login").inner_text().endswith((" CET", " CEST"))
    fits(page)
    snap(page, "users-34-profile-french")
    page.set_viewport_size({"width": 400, "height": 800})
    snap(page, "users-35-profile-400px")
