"""The audit log page (issue 12 item 3): filters on actor, action, target and days, a total,
sort, page size, runs and resources as links, and the export of the filtered entries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from exported import export_table
from headcount.repository.schema import audit_log
from listpages import table_of
from webproject import login, sample_app

HTML = {"Accept": "text/html"}
FORMULA = '=HYPERLINK("http://x","y")'
ENTRIES = [
    (datetime(2026, 11, 2, 9, 0, tzinfo=UTC), "alice", "resume", "run 7 of HR", "HR confirmed"),
    (datetime(2026, 11, 3, 23, 30, tzinfo=UTC), "bob", "manual edit",
     "HR_Person E00002 Title", FORMULA),
    (datetime(2026, 11, 4, 8, 0, tzinfo=UTC), "alice", "cancel", "run 8 of HR", "wrong file"),
]


@pytest.fixture
def client(tmp_path: Path, db_url: str) -> Iterator[TestClient]:
    with sample_app(tmp_path, db_url, synchronized=False) as app:
        with app.state.headcount.engine.begin() as conn:
            conn.execute(sa.insert(audit_log), [
                {"at": at, "actor": who, "action": what, "target": on, "reason": why}
                for at, who, what, on, why in ENTRIES])
        opened = TestClient(app)
        login(opened, "admin")
        yield opened


def entries(client: TestClient, query: str) -> list[dict[str, str]]:
    answer = client.get("/audit" + query, headers=HTML)
    assert answer.status_code == 200, answer.text[:300]
    headers, body = table_of(answer.text)
    return [dict(zip(headers, r, strict=True)) for r in body if len(r) == len(headers)]


def test_filters_total_and_links(client: TestClient) -> None:
    page = client.get("/audit?f.actor.is=alice", headers=HTML).text
    assert "2 entries" in page
    assert [e["Action"] for e in entries(client, "?f.actor.is=alice")] == ["cancel", "resume"]
    assert [e["Action"] for e in entries(client, "?f.action.contains=EDIT")] == ["manual edit"]
    assert [e["Who"] for e in entries(client, "?f.target.starts=run 7")] == ["alice"]
    # Days in the reader's time zone (UTC here): the 3rd is the evening edit.
    assert [e["Action"] for e in entries(client, "?f.at.is=2026-11-03")] == ["manual edit"]
    assert [e["Action"] for e in entries(client, "?f.at.after=2026-11-02&f.at.before=2026-11-05"
                                         "&f.actor.is=alice")] == ["cancel"]
    oldest = entries(client, "?sort=at&f.at.before=2026-11-05")
    assert [e["Action"] for e in oldest] == ["resume", "manual edit", "cancel"]
    assert '<a href="/runs/7">run 7</a>' in page
    assert '<a href="/runs/8">run 8</a>' in page
    # A resource of the target is a link (its name once it exists; its key meanwhile).
    edit = client.get("/audit?f.actor.is=bob", headers=HTML).text
    assert '<a href="/entity-types/HR_Person/E00002">' in edit
    assert "is not a date" in client.get("/audit?f.at.before=yesterday", headers=HTML).text
    sized = client.get("/audit?size=25&f.actor.filled=1", headers=HTML).text
    assert '<strong aria-current="true">25</strong>' in sized


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_of_the_filtered_entries(client: TestClient, fmt: str) -> None:
    answer = client.get(f"/audit?f.actor.is=bob&size=25&export={fmt}", headers=HTML)
    assert answer.status_code == 200
    table = export_table(answer.content, fmt)
    assert table[0][:5] == ["When", "Who", "Action", "On", "Reason"]
    assert len(table) == 2
    assert table[1][1:5] == ["bob", "manual edit", "HR_Person E00002 Title", "'" + FORMULA]
