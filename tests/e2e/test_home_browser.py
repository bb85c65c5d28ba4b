"""The home page's dashboard in a real browser (Playwright driving Debian's Chromium), at 1366
and 400 px: the alert of a threshold-blocked run leads to its job result, the movements chart is
an image named by its title whose figures open as a table, nothing scrolls sideways, and axe-core
finds nothing serious. Screenshots are saved as artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browsing import check_accessibility, log_in, serve, snap

from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import runs
from taskproject import make_task_project
from webproject import make_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("e2e-home") / "hr"
    url = f"sqlite:///{folder.parent}/headcount.db"
    make_task_project(folder, url)
    people = folder / "data" / "hr_people.csv"
    lines = people.read_text(encoding="latin-1").splitlines()
    people.write_text("\n".join(lines[:-20]) + "\n", encoding="latin-1")
    ctx = ProjectContext.open(folder, url)
    try:  # 10 % of the people gone: over the 5 % threshold, the run waits for a person
        assert synchronize(ctx, SyncRequest("HR")).state == runs.BLOCKED
    finally:
        ctx.close()
    with serve(make_app(folder, url)) as base:
        yield base


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
        page.evaluate("document.documentElement.scrollWidth")


def test_the_dashboard_at_1366_px(page: Any) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page)
    alerts = page.get_by_role("region", name="Needs attention")
    assert "Blocked" in alerts.inner_text()
    chart = page.get_by_role("img", name="Joiners, movers and leavers per week")
    assert chart.is_visible()
    assert chart.bounding_box()["width"] > 400
    connectors = page.get_by_role("table", name="The connectors and their last successful runs")
    assert "ago" in connectors.get_by_role("row").filter(has_text="Human resources").inner_text()
    _no_sideways_scroll(page)
    check_accessibility(page)
    snap(page, "50-home-1366")
    page.get_by_text("The figures as a table").click()
    figures = page.get_by_role("table", name="Joiners, movers and leavers per week")
    assert figures.get_by_role("row").count() == 14  # the heading and 13 weeks
    check_accessibility(page)

    alerts.get_by_role("link", name="Run", exact=False).first.click()
    page.wait_for_url("**/runs/*")
    assert "blocked" in page.locator("main").inner_text()


def test_the_dashboard_at_400_px(page: Any) -> None:
    page.set_viewport_size({"width": 400, "height": 800})
    log_in(page)
    chart = page.get_by_role("img", name="Joiners, movers and leavers per week")
    box, main = chart.bounding_box(), page.locator("main").bounding_box()
    # The chart shrinks with the page (the page's own layout at 400 px is base.html's).
    assert box["x"] + box["width"] <= main["x"] + main["width"]
    snap(page, "51-home-400")
    check_accessibility(page)
    page.emulate_media(color_scheme="dark")
    snap(page, "52-home-400-dark")
