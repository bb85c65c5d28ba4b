"""Workflows started by hand through the API (SPEC §7.3): an update keeps only the values that
change, with their before values; a creation is refused field by field (422), shows the
homonyms it may duplicate (409) until sent with `create_anyway`; the reviewer sees them on the
task, and the task shows the HR line its origin names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from headcount.repository.schema import workflow_instances
from taskproject import make_task_project
from webproject import bearer, make_app

HR = ["read", "decide", "edit"]


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> FastAPI:
    return make_app(make_task_project(tmp_path / "hr", db_url), db_url)


def _start(client: TestClient, headers: dict[str, str], values: dict[str, Any],
           key: str | None = None, workflow: str = "NewPerson", **more: Any) -> Any:
    return client.post("/api/workflows", headers=headers, json={
        "workflow": workflow, "key": key, "values": values, **more})


def test_an_update_holds_only_the_changed_values_with_their_before(app: FastAPI) -> None:
    client = TestClient(app)
    hr = bearer(app, "hr", HR)
    started = _start(client, hr, {"Title": "Auditor", "EmployeeId": None}, key="E00005",
                     workflow="Retitle")
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["kind"] == "update"
    assert body["subject_key"] == "E00005"
    [task_id] = body["task_ids"]
    detail = client.get(f"/api/tasks/{task_id}", headers=hr).json()
    [change] = detail["instance"]["changes"]
    # EmployeeId was given empty: it changes too, from its value; nothing else is carried.
    assert [v["property"] for v in change["values"]] == ["Title", "EmployeeId"]
    assert change["values"][1]["before"] == "E00005"
    assert change["values"][1]["after"] is None
    assert detail["homonyms"] == []
    assert detail["source"] is None
    same = _start(client, hr, {"Title": change["values"][0]["after"]}, key="E00005",
                  workflow="Retitle")
    # A person at once (Rename persists on start): its values are the current ones after it.
    renamed = _start(client, hr, {"LastName": "Durand", "FirstName": "Zoé"}, key="P1",
                     workflow="Rename")
    assert renamed.status_code == 201
    assert renamed.json()["task_ids"] == []
    assert same.status_code == 201  # the title is still the old one until approved
    nothing = _start(client, hr, {"LastName": "Durand"}, key="P1", workflow="Rename")
    assert nothing.status_code == 422
    assert "nothing changes" in nothing.json()["detail"]


def test_a_creation_is_refused_beside_each_field(app: FastAPI) -> None:
    client = TestClient(app)
    hr = bearer(app, "hr", HR)
    refused = _start(client, hr, {"LastName": "", "BirthDate": "17/05/1990",
                                  "Kind": "intern", "Site": "NOWHERE", "Nope": "x"})
    assert refused.status_code == 422
    errors = {e["loc"][-1]: e["msg"] for e in refused.json()["errors"]}
    assert errors == {
        "PersonId": "required", "LastName": "required", "FirstName": "required",
        "BirthDate": "`17/05/1990` is not a date (YYYY-MM-DD)",
        "Kind": "`intern` is not one of employee, contractor",
        "Site": "no Directory_Site NOWHERE", "Nope": "not a property of NewPerson"}
    exists = _start(client, hr, {"PersonId": "P1", "LastName": "X", "FirstName": "Y"})
    assert exists.status_code == 422
    assert "exists already" in exists.json()["errors"][0]["msg"]
    viewer = _start(client, bearer(app, "view", ["read"]), {"PersonId": "P9"})
    assert viewer.status_code == 403
    no_edit = _start(client, bearer(app, "hr", ["read", "decide"]), {"PersonId": "P9"})
    assert no_edit.status_code == 403
    assert "`edit` scope" in no_edit.json()["detail"]


@pytest.mark.parametrize(("values", "reasons"), [
    ({"LastName": "DUPONT", "FirstName": "zoe"}, ["same names"]),
    ({"LastName": " Zoé ", "FirstName": "Dupont"}, ["inverted names"]),
    ({"LastName": "Dupond", "FirstName": "Zoe", "BirthDate": "1990-05-17"},
     ["same birth date"]),
])
def test_homonyms_are_shown_before_a_duplicate_is_created(
        app: FastAPI, values: dict[str, str], reasons: list[str]) -> None:
    client = TestClient(app)
    hr = bearer(app, "hr", HR)
    warned = _start(client, hr, {"PersonId": "P3", **values})
    assert warned.status_code == 409, warned.text
    assert warned.json()["errors"] == [{"loc": ["homonyms", "P1"], "type": "homonym",
                                        "msg": f"Dupont Zoé: {', '.join(reasons)}"}]
    with app.state.headcount.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(workflow_instances).where(
            workflow_instances.c.workflow == "NewPerson")).scalar_one() == 0
    created = _start(client, hr, {"PersonId": "P3", **values}, create_anyway=True)
    assert created.status_code == 201, created.text
    assert created.json()["kind"] == "insert"
    # The reviewer sees them on the task.
    detail = client.get(f"/api/tasks/{created.json()['task_ids'][0]}", headers=hr).json()
    assert [(h["key"], h["reasons"]) for h in detail["homonyms"]] == [("P1", reasons)]


def test_other_names_are_no_homonyms_and_renames_are_seen(app: FastAPI) -> None:
    client = TestClient(app)
    hr = bearer(app, "hr", HR)
    # Another name with P1's birth date, or P1's first name alone: no homonym.
    assert _start(client, hr, {"PersonId": "P4", "LastName": "Leroy", "FirstName": "Anne",
                               "BirthDate": "1990-05-17"}).status_code == 201
    assert _start(client, hr, {"PersonId": "P5", "LastName": "Petit",
                               "FirstName": "Zoé"}).status_code == 201
    # Once P2 is renamed, the index follows: the old name finds nobody, the new one finds P2.
    assert _start(client, hr, {"LastName": "Bernard"}, key="P2",
                  workflow="Rename").status_code == 201
    assert _start(client, hr, {"PersonId": "P6", "LastName": "Martin",
                               "FirstName": "Paul"}).status_code == 201
    again = _start(client, hr, {"PersonId": "P7", "LastName": "bernard", "FirstName": "PAUL"})
    assert again.status_code == 409
    assert again.json()["errors"][0]["loc"] == ["homonyms", "P2"]


def test_a_task_shows_the_hr_line_its_origin_names(app: FastAPI) -> None:
    client = TestClient(app)
    hr = bearer(app, "hr", HR)
    started = _start(client, hr, {"PersonId": "P8", "LastName": "Roux", "FirstName": "Léa"})
    instance_id = started.json()["instance_id"]
    runs = client.get("/api/runs", headers=hr).json()
    run_id = runs["items"][-1]["id"] if "items" in runs else runs[-1]["id"]
    with app.state.headcount.engine.begin() as conn:
        conn.execute(sa.update(workflow_instances).where(workflow_instances.c.id == instance_id)
                     .values(origin=json.dumps({
                         "run_id": run_id, "resource_type": "HR_Person_To_Directory_User",
                         "source_type": "HR_Person", "source_key": "E00002", "order": {}})))
    detail = client.get(f"/api/tasks/{started.json()['task_ids'][0]}", headers=hr).json()
    source = detail["source"]
    assert source["run_id"] == run_id
    assert source["key"] == "E00002"
    assert source["entity_type"] == "HR_Person"
    assert source["connection"] is not None
    assert source["line"] > 1
