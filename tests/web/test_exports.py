"""Every list's export (issue 12, item 3): each list of the pages downloads its filtered rows as
CSV and as XLSX, and a value that would be a formula in a spreadsheet is text in both — the
CSV cell starts with ', the XLSX cell is a string, never a formula."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from exported import export_table
from listpages import FORMULA
from webproject import bearer, login, sample_app

HTML = {"Accept": "text/html"}
RECORD = "Directory_UserRecord"
MEDIA = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, int]]:
    """The sample with a manual value that is a formula (a held value, a run's change, an
    audit entry), logged in as an administrator; and that edit's run."""
    with sample_app(tmp_path_factory.mktemp("exports")) as app:
        web = TestClient(app)
        hr = bearer(app, "hr", ["read", "edit", "decide"])
        with app.state.headcount.engine.connect() as conn:
            rid = conn.exec_driver_sql(
                f"SELECT id FROM resources WHERE entity_type = '{RECORD}' AND key = 'E00002'"
            ).scalar_one()
        edited = web.patch(f"/api/resources/{rid}", headers=hr, json={
            "values": {"Title": FORMULA}, "reason": FORMULA})
        assert edited.status_code == 200, edited.text
        with app.state.headcount.engine.connect() as conn:
            run = int(conn.exec_driver_sql("SELECT max(id) FROM runs").scalar_one())
        login(web, "admin")
        yield web, run


LISTS = {
    "identities": "/entity-types/Directory_User?sort=LastName",
    "records filtered": f"/entity-types/{RECORD}?f.EmployeeId.starts=E0000",
    "audit log": "/audit",
    "job execution": "/runs?connector=HR",
    "changes of a run": "/runs/{run}?list=changes",
    "orders of a run": "/runs/1?list=orders",
    "my tasks": "/tasks",
    "correlation cases": "/correlation-cases?state=open",
    "reconciliation": "/reconciliation?state=open",
    "users": "/users",
}
# The lists that show the formula value: as a cell ("'=HYPERLINK…") or inside a sentence
# ("Title: Chercheur → =HYPERLINK…").
WITH_FORMULA = {"changes of a run", "reconciliation"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("name", sorted(LISTS))
def test_every_list_exports_its_filtered_rows(client: tuple[TestClient, int], name: str,
                                              fmt: str) -> None:
    web, run = client
    url = LISTS[name].format(run=run)
    answer = web.get(f"{url}{'&' if '?' in url else '?'}export={fmt}", headers=HTML)
    assert answer.status_code == 200, (url, answer.text[:300])
    assert answer.headers["content-type"].startswith(MEDIA[fmt])
    assert "attachment" in answer.headers["content-disposition"]
    table = export_table(answer.content, fmt)
    assert table, f"{name}: no header row"
    texts = [str(v) for row in table for v in row]
    assert not [t for t in texts if t.startswith(("=", "+", "@"))], f"{name}: a formula cell"
    if name in WITH_FORMULA:  # there, never at the start of a cell but escaped
        assert any(FORMULA in t for t in texts), f"{name}: the formula value is missing"
    if name == "records filtered":
        keys = [str(row[table[0].index("Key")]) for row in table[1:]]
        assert keys
        assert all(k.startswith("E0000") for k in keys)
