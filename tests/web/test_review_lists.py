"""The correlation cases and the Resource Reconciliation as lists (issue 12 item 3): a total,
sort, page size, and the export of what the page's filters select, with the names of the
resources concerned."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from caseproject import make_case_project
from exported import export_table
from listpages import FORMULA
from webproject import bearer, login, make_app, sample_app

HTML = {"Accept": "text/html"}
RECORD = "Directory_UserRecord"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_correlation_cases(tmp_path: Path, db_url: str, fmt: str) -> None:
    client = TestClient(make_app(make_case_project(tmp_path / "hr", db_url), db_url))
    login(client, "admin")
    ids = re.findall(r'href="/correlation-cases/(\d+)"', client.get(
        "/correlation-cases", headers=HTML).text)
    newest = client.get("/correlation-cases?sort=id&desc=1&size=25", headers=HTML).text
    assert re.findall(r'href="/correlation-cases/(\d+)"', newest) == ids[::-1]
    assert "2 cases" in newest
    assert '<strong aria-current="true">25</strong>' in newest
    answer = client.get(f"/correlation-cases?state=open&sort=source&export={fmt}",
                        headers=HTML)
    assert answer.status_code == 200
    table = export_table(answer.content, fmt)
    assert table[0][:3] == ["Case", "Source", "Resource type"]
    keys = table[0].index("Source key")
    assert len(table) == 3
    sources = [str(r[1]).lower() for r in table[1:]]
    assert sources == sorted(sources)
    assert all(r[1] != r[keys] for r in table[1:])  # the source by its name
    assert export_table(client.get(f"/correlation-cases?state=resolved&export={fmt}",
                                  headers=HTML).content, fmt)[1:] == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_reconciliation_values(tmp_path: Path, db_url: str, fmt: str) -> None:
    with sample_app(tmp_path, db_url) as app:
        client = TestClient(app)
        hr = bearer(app, "hr", ["read", "edit", "decide"])
        for key, title in (("E00002", FORMULA), ("E00003", "Chief Tester")):
            found = client.get(f"/api/entity-types/{RECORD}/resources/{key}", headers=hr)
            with app.state.headcount.engine.connect() as conn:
                rid = conn.exec_driver_sql(
                    "SELECT id FROM resources WHERE entity_type = 'Directory_UserRecord' "
                    f"AND key = '{key}'").scalar_one()
            assert found.status_code == 200
            edited = client.patch(f"/api/resources/{rid}", headers=hr, json={
                "values": {"Title": title}, "reason": "test"})
            assert edited.status_code == 200, edited.text
        login(client, "hr")
        page = client.get("/reconciliation?sort=resource&desc=1&size=25", headers=HTML).text
        assert "2 values" in page
        assert 'aria-sort="descending"' in page
        answer = client.get(f"/reconciliation?state=open&sort=current&export={fmt}",
                            headers=HTML)
        assert answer.status_code == 200
        table = export_table(answer.content, fmt)
        assert table[0][:3] == ["Resource", "Property", "Current (manual) value"]
        assert len(table) == 3
        assert sorted(str(r[2]) for r in table[1:]) == ["'" + FORMULA, "Chief Tester"]
        keys = table[0].index("Key")
        assert all(r[0] and r[0] != r[keys] for r in table[1:])  # by name
