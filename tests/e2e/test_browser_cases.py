"""Correlation cases, the identity page and provenance in a real browser: an HR user finds the
open cases from the navigation, compares a source with its candidate, links them, then reads the
identity and the provenance of a record's values. Each page passes axe-core; screenshots are
saved as artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browsing import check_accessibility, log_in, serve, snap

from caseproject import make_case_project
from webproject import make_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("e2e-cases") / "hr"
    url = f"sqlite:///{folder.parent}/headcount.db"
    make_case_project(folder, url)
    with serve(make_app(folder, url)) as base:
        yield base



def test_a_case_is_decided_then_the_identity_and_provenance_read(page: Any) -> None:
    log_in(page, "hr")
    cases = page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name="Correlation cases")
    assert "2" in cases.inner_text()
    cases.click()
    page.wait_for_url("**/correlation-cases")
    check_accessibility(page)
    page.get_by_role("row").filter(has_text="E00005").get_by_role(
        "link", name="Case", exact=False).click()
    page.wait_for_url("**/correlation-cases/*")
    assert page.locator("td.match").count() >= 2  # the names, once normalised
    snap(page, "20-correlation-case")
    check_accessibility(page)

    page.get_by_label("Comment").fill("The same person, keyed in by hand before HR had her")
    page.get_by_role("button", name="Link to this identity", exact=False).click()
    page.wait_for_url("**/correlation-cases/*?run=*")
    assert "linked to X5" in page.locator(".resolved").inner_text()
    snap(page, "21-correlation-case-decided")
    check_accessibility(page)

    page.goto("/entity-types/Directory_User/E00005")
    page.get_by_role("link", name="Identity page").click()
    page.wait_for_url("**/identities/E00005")
    assert "X5" in page.get_by_role("table").first.inner_text()
    snap(page, "22-identity")
    check_accessibility(page)

    page.goto("/entity-types/Directory_UserRecord/X5")
    page.get_by_text("Provenance: where each value comes from").click()
    table = page.get_by_role("table", name="Provenance: where each value comes from")
    assert "rule `HR_Person_To_Directory_UserRecord.Title`" in table.inner_text()
    snap(page, "23-provenance")
    check_accessibility(page)
