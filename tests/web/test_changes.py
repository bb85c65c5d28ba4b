"""A resource's History tab in sentences (issue 12, SPEC §15.1): one line per change, its kind
in words, values by their labels, link targets by name with the key beside them, where it came
from and its run as a link — never a JSON blob."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from jobsample import HTML, job_sample
from webproject import login


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("history")
    app, _ = job_sample(folder / "hr", f"sqlite:///{folder}/headcount.db")
    opened = TestClient(app)
    login(opened, "view")
    yield opened
    app.state.headcount.engine.dispose()


def _lines(client: TestClient, entity_type: str, key: str) -> list[str]:
    page = client.get(f"/entity-types/{entity_type}/{key}", params={"tab": "history"},
                      headers=HTML)
    assert page.status_code == 200
    body = page.text.split('<ol class="change-lines">')[1].split("</ol>")[0]
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", li))).strip()
            for li in re.findall(r"(?s)<li[^>]*>(.*?)</li>", body)]


def test_history_lines_are_sentences(client: TestClient) -> None:
    moved = next(c for c in client.get("/api/runs/2/changes?kind=update&limit=1000").json()
                 if c["entity_type"] == "HR_Person" and "Title" in json.loads(c["data"]))
    before, after = json.loads(moved["data"])["Title"]
    lines = _lines(client, "HR_Person", moved["key"])
    assert lines
    assert not any("{" in line or "}" in line for line in lines)
    assert re.match(r"^.* UTC Created with Employee ID: \S+; First name: ", lines[0])
    assert f"Title: {before} → {after} (HR file hr_people.csv line {moved['line']}, run 2)" \
        in [line.split(" UTC ", 1)[1].removeprefix("Changed ") for line in lines]
    linked = [line for line in lines if " Linked Manager: " in line]
    assert linked
    assert re.search(r"Linked Manager: \D+ E\d{5} \(HR file hr_people\.csv line "
                                r"\d+, run 1\)$", linked[0])
    page = client.get(f"/entity-types/HR_Person/{moved['key']}", params={"tab": "history"},
                      headers=HTML).text
    assert '<a href="/runs/2">run 2</a>' in page


def test_policy_changes_name_their_resource_type(client: TestClient) -> None:
    key = client.get("/api/runs/1/changes?kind=insert&limit=1").json()[0]["key"]
    lines = _lines(client, "Directory_UserRecord", key)
    assert lines[0].endswith("(resource type HR_Person_To_Directory_UserRecord, run 1)")
    assert not any("{" in line for line in lines)
