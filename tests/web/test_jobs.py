"""The Jobs page and its API (docs/jobs.md): each job's schedule in words, its connectors by
name with their keys, last and next run; administrators deactivate and activate connectors
(audited); the Job Execution page lists the job runs waiting above the runs; the home page
shows each connector's next run."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from headcount.repository import jobruns
from headcount.samples import hrfiles
from webproject import login, make_app, make_project

HTML = {"Accept": "text/html"}
JOBS = Path(hrfiles.__file__).with_name("jobs.yaml")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_jobs_page_and_an_administrator_deactivating_a_connector(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/headcount.db"
    folder = make_project(tmp_path / "hr", url, people=200, extra=[JOBS])
    app = make_app(folder, url)
    admin = TestClient(app)
    csrf = login(admin, "admin")
    page = admin.get("/jobs", headers=HTML)
    assert page.status_code == 200
    text = _text(page.text)
    assert "Daily complete run Daily every day at 02:00 (UTC)" in text
    assert "every 15 minutes" in text
    assert "after Daily" in text
    assert '<span class="key">HR</span>' in page.text
    assert "Human resources" in text
    done = admin.post("/connectors/hr/deactivate", data={"csrf": csrf, "reason": "migration"},
                      follow_redirects=False)
    assert done.status_code == 303
    text = _text(admin.get("/jobs", headers=HTML).text)
    assert "deactivated by admin on" in text
    assert ": migration" in text
    listed = admin.get("/api/jobs").json()
    assert [j["identifier"] for j in listed["jobs"]] == ["Daily", "Frequent", "DateEvaluation"]
    assert listed["jobs"][0]["in_words"] == "every day at 02:00 (UTC)"
    assert listed["jobs"][0]["connectors"] == ["HR"]
    assert listed["deactivated"][0]["connector"] == "HR"
    assert any(e["action"] == "connector.deactivate" for e in admin.get("/api/audit").json())
    assert admin.post("/connectors/HR/activate", data={"csrf": csrf},
                      follow_redirects=False).status_code == 303
    assert admin.get("/api/jobs").json()["deactivated"] == []
    viewer = TestClient(app)
    viewer_csrf = login(viewer, "view")
    page = viewer.get("/jobs", headers=HTML)
    assert page.status_code == 200
    assert "Deactivate" not in page.text
    assert viewer.post("/connectors/HR/deactivate", data={"csrf": viewer_csrf, "reason": "x"},
                       follow_redirects=False).status_code == 403
    # The home page: the connector's next run.
    home = _text(admin.get("/", headers=HTML).text)
    assert "Next run" in home


def test_the_job_execution_page_lists_the_job_runs_waiting(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/headcount.db"
    folder = make_project(tmp_path / "hr", url, people=200)
    app = make_app(folder, url)
    queued = jobruns.insert(app.state.headcount.engine, jobruns.NewJobRun(
        "HR", ("synchronize",), "incremental", "push", "token 3 (paris)"), datetime.now(UTC))
    client = TestClient(app)
    login(client, "view")
    page = client.get("/runs", headers=HTML)
    assert f'id="job-run-{queued}"' in page.text
    text = _text(page.text)
    assert "Queued and running job runs" in text
    assert "pushed records · token 3 (paris)" in text
    assert client.get("/api/job-runs?state=open").json()[0]["id"] == queued
    assert client.get(f"/api/job-runs/{queued}").json()["state"] == "queued"
    assert client.get("/api/job-runs/999").status_code == 404


def test_the_jobs_page_in_french_names_job_run_states_and_triggers_in_french(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/headcount.db"
    folder = make_project(tmp_path / "hr", url, people=200, extra=[JOBS])
    app = make_app(folder, url)
    engine = app.state.headcount.engine
    now = datetime.now(UTC)
    jobruns.insert(engine, jobruns.NewJobRun("HR", ("synchronize",), "complete", "schedule",
                                             "scheduler", job="Daily", state="skipped"), now)
    jobruns.insert(engine, jobruns.NewJobRun("HR", ("synchronize",), "incremental", "push",
                                             "token 3 (paris)", state="waiting"), now)
    client = TestClient(app)
    login(client, "view")
    french = {"Accept": "text/html", "Accept-Language": "fr"}
    text = html.unescape(_text(client.get("/jobs", headers=french).text))
    assert "· ignoré" in text
    assert "en attente d'un agent" in text
    assert "planification · scheduler" in text
    assert "enregistrements poussés · token 3 (paris)" in text
    assert "skipped" not in text
    assert "waiting" not in text
    english = _text(client.get("/jobs", headers=HTML).text)
    assert "· skipped" in english
    assert "waiting for an agent" in english
    # The job run of a job: the job's name, its key beside it.
    assert "Daily complete run Daily Human resources HR schedule · scheduler skipped" in english
