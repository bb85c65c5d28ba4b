"""Per-value provenance (SPEC §15.1): for each property, the change that last set it — for a
record's Title, the rule, the HR person behind it and the HR file and line; for an HR value the
file and line; for a value set by hand, who and why — in a few queries whatever the number of
properties, in the API and on the resource page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import provenance, runs
from headcount.repository.schema import resources
from webproject import bearer, login, make_app, make_project

RULE = "HR_Person_To_Directory_UserRecord.Title"
HTML = {"Accept": "text/html"}


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> FastAPI:
    return make_app(make_project(tmp_path / "hr", db_url, people=200), db_url)


def _people(app: FastAPI) -> Path:
    return Path(app.state.headcount.project_dir) / "data" / "hr_people.csv"


def _line_of(app: FastAPI, employee: str) -> int:
    lines = _people(app).read_text(encoding="latin-1").splitlines()
    return next(n for n, text in enumerate(lines, 1) if text.startswith(employee + ";"))


def _resource_id(app: FastAPI, entity_type: str, key: str) -> int:
    with app.state.headcount.engine.connect() as conn:
        return int(conn.execute(sa.select(resources.c.id).where(
            resources.c.entity_type == entity_type, resources.c.key == key)).scalar_one())


def _value(body: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(v for v in body["values"] if v["property"] == name)
    return found


def test_a_record_title_names_the_rule_the_hr_file_and_the_line(app: FastAPI) -> None:
    client = TestClient(app)
    reader = bearer(app, "view", ["read"])
    line = _line_of(app, "E00002")
    record = _resource_id(app, "Directory_UserRecord", "E00002")
    body = client.get(f"/api/resources/{record}/provenance", headers=reader).json()
    assert (body["entity_type"], body["key"]) == ("Directory_UserRecord", "E00002")
    title = _value(body, "Title")
    assert title["set_by"] == "policy"
    assert title["rule"] == RULE
    assert title["rule_text"] == "source: Title"
    assert (title["source_entity_type"], title["source_key"], title["source_property"]) == (
        "HR_Person", "E00002", "Title")
    assert title["source_origin"]["file"] == "hr_people.csv"
    assert title["source_origin"]["line"] == line
    assert title["origin"]["run_id"] == 1
    assert title["text"] == f"set by HR file hr_people.csv line {line}, run 1, rule `{RULE}`"
    manager = _value(body, "Manager")  # a navigation, from a query rule
    assert manager["navigation"] is True
    assert manager["rule"] == "HR_Person_To_Directory_UserRecord.Manager"
    assert manager["source_property"] == "Manager"

    # A mover: the Title changes in the file; the next run's provenance says so, the other
    # values keep theirs.
    people = _people(app)
    lines = people.read_text(encoding="latin-1").splitlines(keepends=True)
    fields = lines[line - 1].split(";")
    fields[5] = "Chief Provenance Officer"
    lines[line - 1] = ";".join(fields)
    people.write_text("".join(lines), encoding="latin-1")
    ctx = ProjectContext(Path(app.state.headcount.project_dir), app.state.headcount.engine)
    moved = synchronize(ctx, SyncRequest("HR"))
    assert moved.state in (runs.SUCCEEDED, runs.WARNINGS), moved.message
    again = client.get("/api/entity-types/Directory_UserRecord/provenance/E00002",
                       headers=reader).json()
    title = _value(again, "Title")
    assert title["value"] == "Chief Provenance Officer"
    assert title["text"] == (f"set by HR file hr_people.csv line {line}, run {moved.id}, "
                             f"rule `{RULE}`")
    assert _value(again, "FirstName")["origin"]["run_id"] == 1

    person = client.get("/api/entity-types/HR_Person/provenance/E00002", headers=reader).json()
    hr_title = _value(person, "Title")
    assert hr_title["set_by"] == "hr"
    assert hr_title["rule"] is None
    assert (hr_title["origin"]["file"], hr_title["origin"]["line"]) == ("hr_people.csv", line)
    assert hr_title["text"] == f"set by HR file hr_people.csv line {line}, run {moved.id}"
    assert _value(person, "FirstName")["text"] == f"set by HR file hr_people.csv line {line}, " \
                                                  "run 1"


def test_a_value_set_by_hand_says_who_and_why(app: FastAPI) -> None:
    client = TestClient(app)
    record = _resource_id(app, "Directory_UserRecord", "E00003")
    edited = client.patch(f"/api/resources/{record}", headers=bearer(app, "hr", ["read", "edit"]),
                          json={"values": {"Title": "Head of audit"},
                                "reason": "promoted early"})
    assert edited.status_code == 200, edited.text
    run_id = edited.json()["run_id"]
    body = client.get(f"/api/resources/{record}/provenance",
                      headers=bearer(app, "hr", ["read", "decide"])).json()
    title = _value(body, "Title")
    assert title["set_by"] == "manual"
    assert title["value"] == "Head of audit"
    assert (title["changed_by"], title["reason"]) == ("hr", "promoted early")
    assert title["state"] is not None  # HR's value waits on the Resource Reconciliation
    assert title["text"] == f"set by hand by hr, run {run_id}: promoted early"
    assert _value(body, "LastName")["set_by"] == "policy"
    # Who and why are for those who edit or decide (the audit log is the administrators'):
    # a viewer reads that the value was set by hand, and when.
    seen = _value(client.get(f"/api/resources/{record}/provenance",
                             headers=bearer(app, "view", ["read"])).json(), "Title")
    assert (seen["changed_by"], seen["reason"]) == (None, None)
    assert seen["text"] == f"set by hand, run {run_id}"

    # Approved on the Resource Reconciliation: HR's value is back, and so says the provenance.
    decider = bearer(app, "hr", ["read", "decide"])
    [held] = client.get("/api/reconciliation?entity_type=Directory_UserRecord",
                        headers=decider).json()["items"]
    approved = client.post(f"/api/reconciliation/{held['id']}/decision", headers=decider,
                           json={"decision": "approve", "comment": "HR knows best"})
    assert approved.status_code == 200, approved.text
    body = client.get(f"/api/resources/{record}/provenance", headers=decider).json()
    title = _value(body, "Title")
    assert title["value"] == held["proposed_value"]
    assert title["set_by"] == "reconciliation"
    assert title["text"].startswith("approved on the Resource Reconciliation by hr, run ")
    assert title["text"].endswith(": HR knows best")


def test_provenance_takes_a_few_queries_whatever_the_properties(app: FastAPI) -> None:
    engine: sa.Engine = app.state.headcount.engine
    statements: list[str] = []

    def count(*args: Any) -> None:
        if str(args[2]).lstrip().upper().startswith("SELECT"):
            statements.append(str(args[2]))

    project = app.state.headcount.project()
    with engine.connect() as conn:
        # Listened on this connection only: the app's own threads query the engine too.
        sa.event.listen(conn, "before_cursor_execute", count)
        found = provenance.provenance(conn, project, "Directory_UserRecord", "E00002")
    assert len(found.values) > 20
    # The resource, its links, its changes, its source, the source's changes, property states
    # (and, for a source gone, the orders that name it): not one query per property.
    assert len(statements) <= 7, statements


def test_the_resource_page_loads_the_provenance(app: FastAPI) -> None:
    client = TestClient(app)
    assert client.get("/api/resources/1/provenance").status_code == 401
    assert client.get("/api/resources/999999/provenance",
                      headers=bearer(app, "view", ["read"])).status_code == 404
    login(client, "view")
    record = _resource_id(app, "Directory_UserRecord", "E00002")
    page = client.get("/entity-types/Directory_UserRecord/E00002", headers=HTML).text
    assert f'hx-get="/resources/{record}/provenance"' in page
    fragment = client.get(f"/resources/{record}/provenance",
                          headers={**HTML, "HX-Request": "true"}).text
    assert "<html" not in fragment
    assert f"rule `{RULE}`" in fragment
    assert 'href="/entity-types/HR_Person/E00002"' in fragment
    assert 'href="/runs/1"' in fragment
    full = client.get(f"/resources/{record}/provenance", headers=HTML).text
    assert "<html" in full
    assert "hr_people.csv" in full
