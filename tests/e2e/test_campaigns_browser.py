"""A certification campaign in a real browser (Playwright driving Debian's Chromium): a reviewer
opens it from My Tasks, approves one identity, declines one with a comment, forwards one to a
colleague, approves the last in bulk after the confirmation and signs off; the colleague decides
the forwarded item from their own My Tasks and signs off; the administrator sees the progress
reach 100 % on the campaign's page. Each page passes axe-core; screenshots are saved."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from browsing import check_accessibility, log_in, serve, snap

from campaignproject import NOW, sample
from headcount.campaigns import lifecycle
from headcount.campaigns.spec import CampaignSpec, Scope, Stage
from webproject import make_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SUBJECTS = ["E00001", "E00002", "E00003", "E00004"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("e2e-campaigns") / "hr"
    url = f"sqlite:///{folder.parent}/headcount.db"
    with sample(folder, url) as s:
        spec = CampaignSpec(name="Q4 access review", owner="boss", starts_on=NOW.date(),
                            ends_on=date(2999, 12, 31),
                            scope=Scope(filters={"Identifier": "E0000[1-4]"}),
                            stages=[Stage(name="Reviewer", reviewer="user:mgr")])
        assert lifecycle.create(s.ctx.engine, s.project, spec, "boss", NOW)[1] == 4
    with serve(make_app(folder, url)) as base:
        yield base


def _my_tasks(page: Any) -> Any:
    return page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name="My Tasks", exact=False)


def _row(page: Any, key: str) -> Any:
    return page.get_by_role("row").filter(has_text=key)


def _decide(page: Any, key: str, decision: str, comment: str = "", to: str = "") -> None:
    row = _row(page, key)
    row.get_by_label("Decision").select_option(decision)
    if comment:
        row.get_by_label("Comment").fill(comment)
    if to:
        row.get_by_label("Forward to").fill(to)
    row.get_by_role("button", name="Decide").click()
    page.get_by_role("status").get_by_text(f"{decision}: 1 item").wait_for()


def _open_from_my_tasks(page: Any, count: int) -> None:
    assert str(count) in _my_tasks(page).inner_text()
    _my_tasks(page).click()
    page.wait_for_url("**/tasks")
    check_accessibility(page)
    page.get_by_role("link", name="Q4 access review").click()
    page.wait_for_url(re.compile(r".*/reviews/campaigns/\d+/mine$"))
    page.get_by_text(f"{count} to decide").wait_for()


def test_a_reviewer_decides_every_item_and_the_owner_sees_100_percent(page: Any) -> None:
    log_in(page, "mgr")
    _open_from_my_tasks(page, 4)
    check_accessibility(page)
    snap(page, "60-campaign-reviewer")
    _decide(page, SUBJECTS[0], "approve")
    _decide(page, SUBJECTS[1], "decline", comment="Left the project in October")
    _decide(page, SUBJECTS[2], "forward", comment="Works for Claire now", to="colleague")
    check_accessibility(page)
    _row(page, SUBJECTS[3]).get_by_label("Select item", exact=False).check()
    page.get_by_role("button", name="Approve the ticked items").click()
    page.get_by_role("heading", name="Approve 1 item?").wait_for()
    check_accessibility(page)
    page.get_by_role("button", name="Confirm: approve 1").click()
    page.get_by_text("0 to decide").wait_for()
    assert _row(page, SUBJECTS[2]).count() == 0  # forwarded: no longer theirs
    page.get_by_role("button", name="Sign off").click()
    page.get_by_role("status").get_by_text("Signed off: 3 decisions are final").wait_for()
    snap(page, "61-campaign-signed-off")
    check_accessibility(page)

    page.context.clear_cookies()
    log_in(page, "colleague")
    _open_from_my_tasks(page, 1)
    _decide(page, SUBJECTS[2], "approve")
    page.get_by_role("button", name="Sign off").click()
    page.get_by_role("status").get_by_text("Signed off: 1 decisions are final").wait_for()

    page.context.clear_cookies()
    log_in(page, "boss")
    menu = page.get_by_role("navigation", name="Administration")
    menu.get_by_text("Reviews", exact=True).click()
    menu.get_by_role("link", name="Campaigns").click()
    page.wait_for_url("**/reviews")
    check_accessibility(page)
    page.get_by_role("link", name="Q4 access review").click()
    overall = page.locator("#overall")
    assert "100 %" in overall.inner_text()
    assert page.locator("#campaign-state").inner_text() == "signed-off"
    assert page.get_by_role("progressbar", name="Overall progress").get_attribute(
        "value") == "4"
    check_accessibility(page)
    snap(page, "62-campaign-owner")
