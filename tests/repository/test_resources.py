"""Reading resources: one JSON accessor for searches, sorts, the data model scan and the
deployment's data-at-risk check, alike on SQLite and PostgreSQL; a history whose every change
says where it came from, an upload named as provenance names it."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from headcount.repository.resources import get_resource, json_value, search
from headcount.repository.schema import resources
from headcount.upload.uploads import load_verified
from hrproject import hr_project, people
from uploadproject import FILE, sample, stored, tab, uploaded, verification
from webproject import login, make_app


def test_values_and_history_read_alike_in_both_dialects(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(3))
        hr.sync()
        with hr.ctx.engine.connect() as conn:
            name = conn.dialect.name
            read = dict(conn.execute(sa.select(
                resources.c.key, json_value(resources.c.data, "FirstName", name))
                .where(resources.c.entity_type == "HR_Person")).all())
            absent = conn.execute(sa.select(json_value(resources.c.data, "Nothing", name))
                                  .select_from(resources).limit(1)).scalar()
            found = search(conn, "HR_Person", filters={"FirstName": "First2"})
            ordered = search(conn, "HR_Person", sort="FirstName", descending=True)
            history = get_resource(conn, "HR_Person", "E2").history
    assert read == {"E1": "First1", "E2": "First2", "E3": "First3"}
    assert absent is None
    assert [key for key, _ in found.rows] == ["E2"]
    assert [key for key, _ in ordered.rows] == ["E3", "E2", "E1"]
    # An HR file's change is named as provenance names it.
    assert history[0].source == "HR file people.csv line 3"


def test_the_history_of_an_uploaded_change_names_the_upload(tmp_path: Path, db_url: str) -> None:
    with sample(tmp_path / "p", db_url) as ctx:
        row = dict(stored(ctx, "Directory_UserRecord", "E00001"))
        records = tab(ctx, "Directory_UserRecord", [row | {"Command": "Modify",
                                                           "PhoneNumber": "+33 1 23 45 67 89"}])
        checked = verification("update", records)
        upload = uploaded(ctx, checked, actor="alice")
        run = load_verified(ctx, upload, checked, "alice")
        with ctx.engine.connect() as conn:
            history = get_resource(conn, "Directory_UserRecord", "E00001").history
        said = f"upload {upload.id} by alice, file {FILE}, tab Identity record, row 3"
        assert [h.source for h in history if h.run_id == run.id] == [said]
        # What the policy wrote before is named by its resource type, as it was.
        assert {h.source for h in history if h.run_id != run.id} == {
            "HR_Person_To_Directory_UserRecord"}
    app = make_app(tmp_path / "p", db_url)
    try:
        client = TestClient(app)
        login(client, "view")
        page = client.get("/entity-types/Directory_UserRecord/E00001",
                          params={"tab": "history"}, headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert f"({said}, <a href=\"/runs/{run.id}\">run {run.id}</a>)" in page.text
    finally:
        app.state.headcount.engine.dispose()
