"""Manual edits and the Resource Reconciliation in a real browser (Playwright driving Debian's
Chromium): an HR user changes a record's title with a reason, finds it held on the record's page
and on the Resource Reconciliation page, and declines it there; both pages pass axe-core with no
serious violation."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from webproject import PASSWORD, make_app, make_project

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("e2e-reconciliation") / "hr"
    url = f"sqlite:///{folder.parent}/headcount.db"
    make_project(folder, url, people=200)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(make_app(folder, url), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(site: str) -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = "Debian's Chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"])
        context = chromium.new_context(base_url=site, viewport={"width": 1280, "height": 900})
        opened = context.new_page()
        opened.set_default_timeout(15_000)
        yield opened
        context.close()
        chromium.close()


def _check_accessibility(page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [v for v in results.response["violations"]
               if v.get("impact") in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
                         for v in serious]


def _snap(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_edit_a_title_then_decline_it_on_the_reconciliation_page(page: Any) -> None:
    page.goto("/login")
    page.get_by_label("Name").fill("hr")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")

    page.goto("/entity-types/Directory_UserRecord/E00002")
    page.get_by_role("heading", name="Manual values").wait_for()  # loaded by htmx
    page.get_by_role("link", name="Edit values").click()
    page.wait_for_url("**/edit")
    _check_accessibility(page)
    page.get_by_label("Title", exact=False).first.fill("Chief Tester")
    page.get_by_label("Reason (required, shown to reviewers)").fill("promotion, HR is late")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/entity-types/Directory_UserRecord/E00002")
    held = page.locator("#manual-values")
    held.get_by_text("unreconciled").wait_for()
    assert "Chief Tester" in held.inner_text()
    _snap(page, "20-manual-values")

    page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name="Resource Reconciliation").click()
    page.wait_for_url("**/reconciliation")
    _check_accessibility(page)
    _snap(page, "21-reconciliation")
    page.get_by_label("Select Title of Directory_UserRecord E00002").check()
    page.get_by_label("Comment (kept in the audit log)").fill("the manager confirmed")
    page.get_by_role("button", name="Decline").click()
    page.get_by_role("status").get_by_text("1 value declined").wait_for()
    page.get_by_label("State").select_option("protected")
    page.get_by_role("button", name="Filter").click()
    assert "Chief Tester" in page.locator("table.reconciliation").inner_text()
