"""The Upload pages in a real browser (Playwright driving Debian's Chromium): an HR user finds
Upload in the top bar, then the page of an upload with errors — its rows as uploaded, the cells
in error marked —, a verified one with its preview and load forms, and the data model scan.
Each page passes axe-core; screenshots are saved.

The uploads shown are hand-built (tests/verifications.py): the whole flow through verify and the
store of uploads is another test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browsing import check_accessibility, log_in, serve, snap

from headcount.upload import uploads
from verifications import hand_built_upload, hand_built_verification
from webproject import make_app, make_project

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("e2e-upload") / "hr"
    url = f"sqlite:///{folder.parent}/headcount.db"
    app = make_app(make_project(folder, url, people=200), url)
    project = app.state.headcount.project()
    shown = {7: (hand_built_upload(), hand_built_verification(project)),
             8: (hand_built_upload(id=8, state="verified", errors=0, warnings=0),
                 hand_built_verification(project, ()))}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(uploads, "list_uploads", lambda conn, limit=50, offset=0: [
            u for u, _ in shown.values()])
        patch.setattr(uploads, "get_upload", lambda conn, upload_id: shown[upload_id][0])
        patch.setattr(uploads, "verification_of", lambda ctx, upload_id: shown[upload_id][1])
        with serve(app) as base:
            yield base
    app.state.headcount.engine.dispose()


def test_the_upload_pages_pass_axe(page: Any, tmp_path: Path) -> None:
    log_in(page, "hr")
    page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name="Upload").click()
    page.get_by_role("heading", name="Upload", exact=True).wait_for()
    check_accessibility(page)
    snap(page, "80-upload-list")
    with page.expect_download() as download:
        page.get_by_role("link", name="Empty template", exact=True).click()
    assert download.value.suggested_filename == "workforce-empty.xlsx"
    page.get_by_role("link", name="Upload 7").click()
    page.get_by_role("heading", name="Errors").wait_for()
    assert page.locator("td.wrong").count() == 2
    check_accessibility(page)
    snap(page, "81-upload-errors")
    page.goto("/upload/8")
    page.get_by_role("button", name="Preview").wait_for()
    check_accessibility(page)
    snap(page, "82-upload-verified")
    page.goto("/upload/scan")
    page.get_by_role("heading", name="Data model scan").wait_for()
    check_accessibility(page)
    snap(page, "83-upload-scan")
