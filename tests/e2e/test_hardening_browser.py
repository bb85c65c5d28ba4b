"""Web hardening in a real browser (SPEC §13): the Content-Security-Policy is enforced (and every
browser test fails on a violation, see browsing.new_page), /api/docs renders with no network but
this machine's, and API tokens are created and revoked from the Users page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from browsing import check_accessibility, log_in, served_sample, snap

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("hardening") / "hr"
    with served_sample(folder) as base:
        yield base



def test_api_docs_render_without_internet(page: Any) -> None:
    foreign: list[str] = []

    def local_only(route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    page.route("**/*", local_only)
    log_in(page)
    page.goto("/api/docs")
    operations = page.locator(".opblock-summary-path")
    operations.first.wait_for()
    paths = operations.all_inner_texts()
    assert any("/api/entity-types" in p for p in paths), paths
    assert any("/api/tokens" in p for p in paths), paths
    assert foreign == []
    snap(page, "20-api-docs-offline")


def test_a_token_is_created_and_revoked_on_the_users_page(page: Any) -> None:
    log_in(page)
    page.goto("/users")
    check_accessibility(page)
    page.get_by_label("Token name").fill("nightly export")
    page.get_by_label("run").check()
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_label("New token").input_value()
    assert token.startswith("hc_")
    snap(page, "21-token-created")
    check_accessibility(page)
    bearer = {"Authorization": f"Bearer {token}"}
    anonymous = page.context.browser.new_context(base_url=page.url.rsplit("/users", 1)[0])
    try:
        assert anonymous.request.get("/api/me", headers=bearer).json()["name"] == "admin"
        rows = page.locator("tbody tr", has_text="nightly export")
        assert "read, run" in rows.inner_text()
        page.get_by_role("button", name="Revoke the token nightly export").click()
        page.wait_for_url("**/users")
        assert page.get_by_role("button", name="Revoke the token nightly export").count() == 0
        assert anonymous.request.get("/api/me", headers=bearer).status == 401
    finally:
        anonymous.close()
    # A reload shows the token no more: it was in one answer only.
    page.reload()
    assert token not in page.content()


def test_the_policy_refuses_an_inline_script(browser: Any, site: str) -> None:
    # Not through new_page: this test wants the violation that new_page turns into a failure.
    context = browser.new_context(base_url=site)
    messages: list[str] = []
    context.on("console", lambda message: messages.append(message.text))
    try:
        page = context.new_page()
        page.goto("/login")
        page.evaluate("""() => {
            const script = document.createElement('script');
            script.textContent = 'document.title = "injected"';
            document.body.appendChild(script);
        }""")
        page.wait_for_timeout(200)
        assert page.title() != "injected"
        assert any("Content Security Policy" in m for m in messages), messages
    finally:
        context.close()
