"""Job results and the Job Execution page for people (issue 12, SPEC §12): a job result in
sections with sizes and durations in words and who launched it; its changes and every
provisioning order paged, by name; exports of both, formula-safe; the Job Execution page's
filters, total, durations, page size and export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, timedelta

import openpyxl
import pytest
from fastapi.testclient import TestClient

from jobsample import FORMULA, HTML, job_sample
from webproject import login


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    folder = tmp_path_factory.mktemp("jobs")
    app, key = job_sample(folder / "hr", f"sqlite:///{folder}/headcount.db")
    client = TestClient(app)
    login(client, "view")
    yield client, key
    app.state.headcount.engine.dispose()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _rows(answer: object) -> list[list[str]]:
    text = answer.content.decode("utf-8-sig")  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(text)))


def test_a_job_result_reads_in_sections(sample: tuple[TestClient, str]) -> None:
    client, _ = sample
    page = client.get("/runs/2", headers=HTML)
    assert page.status_code == 200
    headings = re.findall(r'<h2 id="([a-z]+)"', page.text)
    assert headings == ["summary", "files", "counters", "changes", "orders", "log"]
    text = _text(page.text)
    assert "State Succeeded" in text
    assert "Mode Complete" in text
    assert "Launched by the command line or a schedule" in text
    assert re.search(r"Duration (\d+(\.\d)? s|\d+ min \d+ s)", text)
    assert re.search(r"hr_people\.csv \d+ \d+(\.\d)? kB latin-1 [0-9a-f]{12}…", text), text
    # Kinds in words; resources by name with the key beside them.
    assert "Changed" in text
    assert "Created" in text
    assert "insert" not in text.split("Log")[0]
    assert re.search(r'<a href="/entity-types/HR_Person/(E00\d+)">[^<0-9]+</a> '
                     r'<span class="key">\1</span>', page.text)
    launched = _text(client.get("/runs/3", headers=HTML).text)
    assert "Launched by op" in launched
    assert "Mode Date evaluation" in launched


def test_every_order_is_paged(sample: tuple[TestClient, str]) -> None:
    client, _ = sample
    found = re.search(r"(\d+) orders", _text(client.get("/runs/1", headers=HTML).text))
    assert found is not None
    total = int(found.group(1))
    assert total > 50
    pages = -(-total // 50)
    seen: list[str] = []
    for n in range(1, pages + 1):
        page = client.get(f"/runs/1?orders={n}", headers=HTML).text
        assert f"Page {n} of {pages}" in page
        body = page.split('<table class="orders">')[1].split("</table>")[0]
        seen += re.findall(r'<tr class="order-', body)
    assert len(seen) == total
    assert "/api/runs/1/orders" not in client.get("/runs/1", headers=HTML).text
    second = client.get("/runs/1?orders=2", headers=HTML).text
    assert 'href="?page=1&amp;orders=1&amp;unresolved=1#orders">Previous</a>' in second


def test_the_orders_export_is_formula_safe(sample: tuple[TestClient, str]) -> None:
    client, key = sample
    answer = client.get("/runs/1?list=orders&export=csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = _rows(answer)
    total = len(client.get("/api/runs/1/orders?limit=1000").json())
    assert rows[0] == ["Order", "Resource type", "Target key", "Target", "Source key",
                       "Source", "Changes"]
    assert len(rows) == total + 1
    formula = [r for r in rows if r[4] == key and r[1] == "HR_Person_To_Directory_UserRecord"]
    assert formula
    assert formula[0][5].startswith(f"'{FORMULA}")
    assert not any(cell.startswith("=") for r in rows for cell in r)
    book = client.get("/runs/1?list=orders&export=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert sheet.max_row == total + 1
    assert any(c.startswith(f"'{FORMULA}") for c in cells)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_the_change_export_keeps_the_page_filter(sample: tuple[TestClient, str]) -> None:
    client, _ = sample
    rows = _rows(client.get("/runs/2?kind=update&list=changes&export=csv"))
    updates = client.get("/api/runs/2/changes?kind=update&limit=1000").json()
    assert rows[0] == ["Change", "Entity type", "Key", "Name", "Detail", "Source"]
    assert len(rows) == len(updates) + 1
    assert {r[0] for r in rows[1:]} == {"Changed"}
    assert all(" → " in r[4] for r in rows[1:])
    every = _rows(client.get("/runs/2?export=csv"))
    assert len(every) == len(client.get("/api/runs/2/changes?limit=1000").json()) + 1


def test_the_job_execution_page_filters(sample: tuple[TestClient, str]) -> None:
    client, _ = sample

    def listed(query: str) -> tuple[int, list[str]]:
        page = client.get(f"/runs?{query}", headers=HTML)
        assert page.status_code == 200
        total = re.search(r'<p class="total">(\d+) runs?', page.text)
        assert total is not None
        return int(total.group(1)), re.findall(r'<a href="/runs/(\d+)">', page.text)

    assert listed("") == (3, ["3", "2", "1"])
    assert listed("actor=op") == (1, ["3"])
    # The filter form sends its empty fields.
    assert listed("connector=&state=&actor=op&since=&until=&size=50") == (1, ["3"])
    assert listed("state=succeeded&connector=HR") == (3, ["3", "2", "1"])
    assert listed("state=failed") == (0, [])
    assert listed("connector=Directory") == (0, [])
    first, last = (date.fromisoformat(client.get(f"/api/runs/{n}").json()["started_at"][:10])
                   for n in (1, 3))
    assert listed(f"since={first}&until={last}") == (3, ["3", "2", "1"])
    assert listed(f"until={first - timedelta(days=1)}") == (0, [])
    assert listed(f"since={last + timedelta(days=1)}") == (0, [])
    assert listed("size=25&page=1")[0] == 3
    page = client.get("/runs", headers=HTML).text
    assert "<th scope=\"col\">Duration</th>" in page
    assert re.search(r"<td>(\d+(\.\d)? s|\d+ min \d+ s)</td>", page)
    rows = _rows(client.get("/runs?actor=op&export=csv"))
    assert [r[0] for r in rows[1:]] == ["3"]
    assert rows[1][5] == "op"
    connector = client.get("/connectors/HR", headers=HTML).text
    assert "<th scope=\"col\">Duration</th>" in connector
