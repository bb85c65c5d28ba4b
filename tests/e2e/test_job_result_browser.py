"""A job result and a History tab in a real browser (issue 12 item 5): the sample after two days
of HR files; the job result in sections whose orders are reached page by page, the Job
Execution page filtered by who launched a run, a person's history in sentences. Each page
passes axe-core and does not scroll sideways at 1366 px; screenshots are saved as artifacts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from browsing import check_accessibility, log_in, serve, snap

from jobsample import job_sample

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("e2e-job-result")
    app, _ = job_sample(folder / "hr", f"sqlite:///{folder}/headcount.db")
    with serve(app) as base:
        yield base
    app.state.headcount.engine.dispose()


def _at_1366(page: Any) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366


def test_the_job_result_in_sections(page: Any) -> None:
    log_in(page)
    page.goto("/runs/2")
    for name in ("Summary", "Files", "Counters", "Changes", "Provisioning orders", "Log"):
        assert page.get_by_role("heading", name=name, exact=False).count() >= 1, name
    assert page.locator("#run-status dd").first.inner_text() == "Succeeded"
    _at_1366(page)
    snap(page, "job-result-run-2")
    check_accessibility(page)
    page.goto("/runs/1")
    orders = page.locator("nav[aria-label='Order pages']")
    assert "Page 1 of" in orders.inner_text()
    orders.get_by_role("link", name="Next").click()
    page.wait_for_url("**orders=2**")
    assert "Page 2 of" in page.locator("nav[aria-label='Order pages']").inner_text()
    assert page.locator("table.orders tbody tr").count() == 50
    _at_1366(page)
    snap(page, "job-result-run-1-orders-page-2")
    check_accessibility(page)


def test_the_job_execution_page_filters_by_who_launched(page: Any) -> None:
    log_in(page)
    page.goto("/runs")
    page.get_by_label("Launched by").select_option("op")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**actor=op**")
    assert page.locator("p.total").inner_text().startswith("1 run")
    assert page.locator("tbody tr").count() == 1
    _at_1366(page)
    snap(page, "job-execution-by-op")
    check_accessibility(page)


def test_a_history_tab_in_sentences(page: Any) -> None:
    log_in(page)
    # A person HR moved the next day: their history holds a change of title.
    updates = page.request.get("/api/runs/2/changes?kind=update&limit=1000").json()
    moved = next(c for c in updates if c["entity_type"] == "HR_Person"
                 and "Title" in json.loads(c["data"]))
    page.goto(f"/entity-types/HR_Person/{moved['key']}?tab=history")
    lines = page.locator("ol.change-lines > li")
    assert lines.count() > 3
    texts = lines.all_inner_texts()
    assert not any("{" in t for t in texts)
    assert any(t.split(" UTC ", 1)[1].startswith("Changed Title: ") for t in texts)
    _at_1366(page)
    snap(page, "history-tab")
    check_accessibility(page)
