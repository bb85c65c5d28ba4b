"""The unresolved references of a job result in a real browser: a file whose people name
managers and an organization it does not hold, and an organization set aside as a duplicate;
the job result counts them apart from the links that resolved, lists them all page by page with
why, and offers them as CSV. The page passes axe-core; screenshots are saved as artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browsing import check_accessibility, log_in, serve, snap

from webproject import make_app, make_project

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ABSENT = 60  # more than a page of 50


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("e2e-unresolved") / "hr"
    url = f"sqlite:///{folder.parent}/headcount.db"
    make_project(folder, url, synchronized=False)
    people = folder / "data" / "hr_people.csv"
    lines = people.read_text(encoding="latin-1").splitlines()
    first = lines[1].split(";")
    for i in range(ABSENT):
        row = list(first)
        row[0], row[4], row[8] = f"E9{i:04}", f"new{i}@example.com", f"X{i:04}"
        lines.append(";".join(row))
    row = list(first)
    row[0], row[4], row[6] = "E99999", "dup@example.com", "ORG999"
    lines.append(";".join(row))
    people.write_text("\n".join(lines) + "\n", encoding="latin-1")
    orgs = folder / "data" / "hr_organizations.csv"
    text = orgs.read_text(encoding="utf-8-sig")
    orgs.write_text(text + "ORG999,Nouvelle A,,\nORG999,Nouvelle B,,\n", encoding="utf-8-sig")
    with serve(make_app(folder, url)) as base:
        yield base



def test_every_unresolved_reference_is_listed_with_why(page: Any) -> None:
    log_in(page)
    page.goto("/connectors/HR")
    page.get_by_role("button", name="Launch synchronization").click()
    page.wait_for_url("**/runs/*")
    page.locator("#run-status .state", has_text="Succeeded with warnings").wait_for()
    counters = page.locator("#run-status")
    assert "unresolved references: 61" in counters.inner_text()
    assert "Links pending" in counters.inner_text()
    counters.get_by_role("link", name="61").click()
    page.wait_for_url("**unresolved=1*")
    section = page.get_by_role("heading", name="Unresolved references (61)")
    assert section.is_visible()
    table = page.get_by_role("table", name="Unresolved references of run 1")
    assert table.locator("tbody tr").count() == 50
    assert "absent from the file" in table.inner_text()
    snap(page, "08-unresolved-references")
    check_accessibility(page)
    pages = page.get_by_role("navigation", name="Unresolved reference pages")
    assert "Page 1 of 2" in pages.inner_text()
    pages.get_by_role("link", name="Next").click()
    page.wait_for_url("**unresolved=2*")
    table = page.get_by_role("table", name="Unresolved references of run 1")
    assert table.locator("tbody tr").count() == 11
    assert "set aside (duplicate): HR_Organizations line" in table.inner_text()
    check_accessibility(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download them all (CSV)").click()
    saved = Path(download.value.path())
    assert len(saved.read_text(encoding="utf-8").splitlines()) == 62
