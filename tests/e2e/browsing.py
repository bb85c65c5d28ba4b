"""What every browser test needs: the sample served on a free port, a page of Debian's Chromium
(a missing one fails under CI=true), logging in, screenshots kept as artifacts, and axe-core."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from servers import free_port
from webproject import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium through Playwright (the session's `browser` fixture)."""
    if not CHROMIUM.exists():
        message = "Debian's Chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"])
        yield browser
        browser.close()


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """The app on 127.0.0.1, in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def new_page(browser: Any, base_url: str) -> Iterator[Any]:
    """A page of a fresh context; a test whose pages broke the Content-Security-Policy (an
    inline script or style, an eval, a foreign resource) fails when it ends."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    violations: list[str] = []
    context.on("console", lambda message: violations.append(message.text)
               if "Content Security Policy" in message.text else None)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()
    assert not violations, violations


def log_in(page: Any, name: str = "admin") -> None:
    page.goto("/login")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def snap(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def axe_violations(page: Any, context: str | dict[str, Any] | None = None,
                   options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """What axe-core finds wrong on the page (or in `context`), whatever the impact; `context`
    and `options` as axe.run takes them. axe is injected once per document."""
    from axe_playwright_python.sync_playwright import Axe

    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(Axe().axe_script)
    found: dict[str, Any] = page.evaluate(
        "([context, options]) => axe.run(context || document, options)",
        [context, {"resultTypes": ["violations"], **(options or {})}])
    violations: list[dict[str, Any]] = found["violations"]
    return violations


def check_accessibility(page: Any) -> None:
    serious = [v for v in axe_violations(page) if v.get("impact") in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
                         for v in serious]


@contextmanager
def served_sample(folder: Path, people: int = 200) -> Iterator[str]:
    """The synchronized sample project in `folder`, served on a free port: its base URL."""
    from webproject import make_app, make_project

    url = f"sqlite:///{folder.parent}/headcount.db"
    make_project(folder, url, people=people)
    with serve(make_app(folder, url)) as base:
        yield base
