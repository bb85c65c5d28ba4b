"""The top bar's search in a browser, over the demo's sample (2,000 people): "/" focuses the box,
"schneider jose" and Enter find José Schneider, grouped by type, a link to his page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browsing import check_accessibility, log_in, new_page, served_sample, snap

from headcount.samples import hrfiles

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_sample(tmp_path_factory.mktemp("search") / "hr",
                       people=hrfiles.DEFAULT_PEOPLE) as base:
        yield base


@pytest.fixture
def page(browser: Any, site: str) -> Iterator[Any]:
    with new_page(browser, site) as opened:
        yield opened


def test_the_top_bar_finds_jose_schneider(page: Any) -> None:
    log_in(page, "view")
    page.keyboard.press("/")
    box = page.get_by_role("searchbox", name="Find by name, key or e-mail")
    assert box.evaluate("element => element === document.activeElement")
    box.fill("schneider jose")
    box.press("Enter")
    page.wait_for_url("**/search?q=schneider+jose")
    people = page.get_by_role("region", name="Person")
    link = people.get_by_role("link", name="Schneider José")
    assert link.count() == 1
    assert people.locator(".key").first.inner_text().startswith("E0")
    snap(page, "search-jose-schneider")
    check_accessibility(page)
    link.click()
    page.wait_for_url("**/entity-types/HR_Person/E0*")
    assert "José" in page.content()
