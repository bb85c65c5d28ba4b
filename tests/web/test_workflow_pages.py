"""Where a person sees the workflows HR → identities started (SPEC §7.3, §12): the run page
lists them (a dry run: those it would start), the identity page lists the identity's, and a
workflow's page tells its whole story — with what HR says since, while it waits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.samples import hrfiles
from webproject import login, make_app, make_project

HTML = {"Accept": "text/html"}
PEOPLE = 300


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> FastAPI:
    folder = make_project(tmp_path / "hr", db_url, people=PEOPLE,
                          extra=[Path(hrfiles.__file__).with_name("workflows.yaml")])
    hrfiles.write_dataset(hrfiles.generate_next_day(hrfiles.generate_day_one(PEOPLE)),
                          folder / "data")
    ctx = ProjectContext.open(folder, db_url)
    try:
        synchronize(ctx, SyncRequest("HR", dry_run=True))
        synchronize(ctx, SyncRequest("HR"))
    finally:
        ctx.close()
    return make_app(folder, db_url)


def test_the_runs_list_their_workflows_and_each_has_its_page(app: FastAPI) -> None:
    client = TestClient(app)
    login(client, "hr")
    dry = client.get("/runs/2", headers=HTML).text
    assert "Workflows it would start" in dry
    real = client.get("/runs/3", headers=HTML).text
    assert "Workflows started" in real
    listed = client.get("/api/runs/3/workflows").json()
    assert {w["state"] for w in client.get("/api/runs/2/workflows").json()} == {"planned"}
    waiting = next(w for w in listed if w["workflow"] == "Directory_User_NewEmployee")
    assert waiting["state"] == "running"
    assert f'href="/tasks/{waiting["open_task"]}"' in real
    page = client.get(f"/workflows/{waiting['id']}", headers=HTML)
    assert page.status_code == 200
    assert "New employee" in page.text
    assert "HR review" in page.text or "Review" in page.text
    assert 'href="/runs/3"' in page.text  # the run whose orders started it
    assert client.get("/workflows/999999", headers=HTML).status_code == 404


def test_the_identity_page_lists_its_workflows(app: FastAPI) -> None:
    client = TestClient(app)
    login(client, "view")
    listed = client.get("/api/runs/3/workflows").json()
    done = next(w for w in listed if w["workflow"] == "Directory_User_EndOfContract")
    page = client.get(f"/identities/{done['subject_key']}", headers=HTML).text
    assert re.search(rf'href="/workflows/{done["id"]}">Directory_User_EndOfContract', page)
    assert "completed" in page
