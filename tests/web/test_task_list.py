"""My Tasks as a list (issue 12 item 3): a total, sort on a column, page size, and the export of
the open tasks the page's filters select, with the subjects' names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from exported import export_table
from taskproject import make_task_project
from webproject import login, make_app

HTML = {"Accept": "text/html"}


@pytest.fixture
def client(tmp_path: Path, db_url: str) -> TestClient:
    opened = TestClient(make_app(make_task_project(tmp_path / "hr", db_url), db_url))
    login(opened, "hr")
    return opened


def test_sort_and_page_size(client: TestClient) -> None:
    oldest = re.findall(r'href="/tasks/(\d+)"', client.get("/tasks", headers=HTML).text)
    newest = client.get("/tasks?sort=opened_at&desc=1", headers=HTML).text
    assert re.findall(r'href="/tasks/(\d+)"', newest) == oldest[::-1]
    assert 'aria-sort="descending"' in newest
    by_subject = client.get("/tasks?sort=subject&size=25", headers=HTML).text
    assert "3 open tasks" in by_subject
    assert '<strong aria-current="true">25</strong>' in by_subject
    # The sort links keep the page size.
    assert "sort=subject&amp;desc=1&amp;size=25" in by_subject


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_with_the_page_filters(client: TestClient, fmt: str) -> None:
    answer = client.get(f"/tasks?subject=E00003&size=25&export={fmt}", headers=HTML)
    assert answer.status_code == 200
    table = export_table(answer.content, fmt)
    assert table[0][:3] == ["Task", "Subject", "Workflow"]
    assert len(table) == 2
    key = table[0].index("Subject key")
    assert table[1][key] == "E00003"
    assert table[1][1] not in ("", "E00003")  # the subject by its name
    every = client.get(f"/tasks?size=25&export={fmt}", headers=HTML)
    assert every.status_code == 200
