"""The home page's dashboard on the sample (issue 12): each connector's last successful run and
how long ago, alerts for a blocked run (a threshold-blocked synchronization), a failed one and
stale files, each with a link to its job result; what waits for the user, counted; the
workforce's movements as a chart with its figures."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import runs
from headcount.repository.schema import runs as runs_table
from taskproject import make_task_project
from webproject import login, make_app

HTML = {"Accept": "text/html"}


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> FastAPI:
    return make_app(make_task_project(tmp_path / "hr", db_url), db_url)


def _home(app: FastAPI, user: str = "admin") -> str:
    client = TestClient(app)
    login(client, user)
    answer = client.get("/", headers=HTML)
    assert answer.status_code == 200
    return answer.text


def _section(page: str, title_id: str) -> str:
    found = re.search(rf'<section aria-labelledby="{title_id}">(.*?)</section>', page, re.S)
    assert found is not None, title_id
    return found.group(1)


def _row(page: str, connector: str) -> str:
    found = re.search(rf'<tr>\s*(<td><a href="/connectors/{connector}">.*?)</tr>', page, re.S)
    assert found is not None, connector
    return found.group(1)


def _sync(app: FastAPI, people: list[str]) -> runs.RunRecord:
    state = app.state.headcount
    (state.project_dir / "data" / "hr_people.csv").write_text(
        "\n".join(people) + "\n", encoding="latin-1")
    ctx = ProjectContext.open(state.project_dir, str(state.engine.url))
    try:
        return synchronize(ctx, SyncRequest("HR"))
    finally:
        ctx.close()


def _people(app: FastAPI) -> list[str]:
    path: Path = app.state.headcount.project_dir / "data" / "hr_people.csv"
    return path.read_text(encoding="latin-1").splitlines()


def test_each_connector_shows_its_last_successful_run(app: FastAPI) -> None:
    with app.state.headcount.engine.connect() as conn:
        last = runs.list_runs(conn, "HR", 1)[0]
    page = _home(app)
    hr = _row(page, "HR")
    assert ">Human resources</a>" in hr
    assert f'<a href="/runs/{last.id}">Run {last.id}</a>' in hr
    assert re.search(r"(seconds?|minutes?) ago", hr)
    assert "UTC" in hr  # the moment, in the user's time zone, the zone shown
    # The workforce template is written by the policy and workflows: no file, never stale.
    assert "Needs attention" not in page


def test_a_blocked_run_is_an_alert_with_a_link_to_its_job_result(app: FastAPI) -> None:
    people = _people(app)
    blocked = _sync(app, people[:-20])  # 10 % of the people deleted: over the 5 % threshold
    assert blocked.state == runs.BLOCKED
    page = _home(app)
    alerts = _section(page, "alerts-title")
    assert "Blocked" in alerts
    assert f'<a href="/runs/{blocked.id}">Run {blocked.id}</a> of Human resources' in alerts
    # The latest run is the blocked one; the last successful one is still the one before.
    hr = _row(page, "HR")
    assert (f'Run {blocked.id}</a> <span class="state state-blocked">'
            "Blocked: waiting for a decision") in hr
    success = re.search(r'<td><a href="/runs/(\d+)">', hr)
    assert success is not None
    assert int(success.group(1)) < blocked.id


def test_a_failed_run_and_stale_files_are_alerts(app: FastAPI) -> None:
    people = _people(app)
    renamed = [people[0].replace("Title", "Titel"), *people[1:]]
    failed = _sync(app, renamed)  # a mapped column missing: fails before any change
    assert failed.state == runs.FAILED
    engine = app.state.headcount.engine
    with engine.begin() as conn:
        # The runs before, three days ago: older than the two days allowed.
        conn.execute(sa.update(runs_table).where(runs_table.c.id < failed.id).values(
            finished_at=runs.now() - timedelta(days=3, hours=1)))
    alerts = _section(_home(app), "alerts-title")
    assert "Failed" in alerts
    assert f'<a href="/runs/{failed.id}">Run {failed.id}</a> of Human resources' in alerts
    assert "Stale files" in alerts
    assert "3 days ago (more than 2 days)" in alerts
    assert "Workforce" not in alerts


def test_what_waits_is_counted_with_links(app: FastAPI) -> None:
    waiting = _section(_home(app, "hr"), "waiting-title")
    assert re.search(r'<a href="/tasks"><span class="figure">3</span>\s*open tasks</a>',
                     waiting)
    assert re.search(r'href="/correlation-cases"><span class="figure">0</span>', waiting)
    admin = _section(_home(app), "waiting-title")
    assert re.search(r'href="/reconciliation"><span class="figure">0</span>\s*values to '
                     r"reconcile", admin)
    viewer = _section(_home(app, "view"), "waiting-title")
    assert 'href="/reconciliation"' not in viewer
    assert 'href="/tasks"' not in viewer


def test_the_movements_chart_and_its_figures(app: FastAPI) -> None:
    movements = _section(_home(app), "movements-title")
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"' in movements
    assert "<title id=\"movements-chart-title\">Joiners, movers and leavers per week</title>" \
        in movements
    table = re.search(r"<tbody>(.*?)</tbody>", movements, re.S)
    assert table is not None
    assert table.group(1).count("<tr>") == 13


def test_the_dashboard_in_french(app: FastAPI) -> None:
    client = TestClient(app)
    login(client, "admin")
    page = client.get("/", headers={**HTML, "Accept-Language": "fr"}).text
    assert re.search(r"il y a \d+ (secondes?|minutes?)", _row(page, "HR"))
