"""The My Tasks pages (SPEC §7.3, §12): the count in the top bar, the list with its filters and
pages, a task with its change set property by property and a form per transition, and a
refusal shown in words on the task page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from taskproject import make_task_project
from webproject import login, make_app

HTML = {"Accept": "text/html"}


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> FastAPI:
    return make_app(make_task_project(tmp_path / "hr", db_url), db_url)


def _task_ids(page: str) -> list[str]:
    return re.findall(r'href="/tasks/(\d+)"', page)


def test_the_top_bar_counts_the_open_tasks_of_who_may_decide(app: FastAPI) -> None:
    client = TestClient(app)
    login(client, "hr")
    home = client.get("/", headers=HTML).text
    assert re.search(r'href="/tasks">My Tasks <span class="count">3<', home)
    viewer = TestClient(app)
    login(viewer, "view")
    assert 'href="/tasks"' not in viewer.get("/", headers=HTML).text
    listed = viewer.get("/tasks", headers=HTML)
    assert listed.status_code == 200
    assert "No open task for you" in listed.text


def test_the_list_filters_by_workflow_and_subject(app: FastAPI) -> None:
    client = TestClient(app)
    login(client, "hr")
    page = client.get("/tasks", headers=HTML).text
    assert "3 open tasks" in page
    assert len(_task_ids(page)) == 3
    assert "Change a title" in page
    assert "(E00002)" in page  # the subject by its name, its key beside it
    one = client.get("/tasks?subject=E00003", headers=HTML).text
    assert "1 open task" in one
    assert "(E00003)" in one
    assert "(E00002)" not in one
    none = client.get("/tasks?workflow=Other", headers=HTML).text
    assert "No open task for you with these filters" in none
    # htmx asks for the same page; the form selects the list from it.
    assert 'hx-get="/tasks"' in page


def test_a_task_page_shows_the_change_set_and_decides(app: FastAPI) -> None:
    client = TestClient(app)
    csrf = login(client, "hr")
    first, second, third = _task_ids(client.get("/tasks", headers=HTML).text)
    page = client.get(f"/tasks/{third}", headers=HTML).text
    assert "New title for E00004" in page
    assert 'href="/entity-types/Directory_UserRecord/E00004"' in page
    assert re.search(r"<th scope=\"row\">Title</th><td>[^<]+</td><td>Data steward</td>", page)
    assert re.search(r"<th scope=\"row\">Manager</th><td>[^<]+</td><td>E00001</td>", page)
    for name in ("Approve", "Decline", "Delegate"):
        assert f'<button type="submit">{name}</button>' in page
    # A Review has nothing to send back to: no Refine is offered (it was, and then refused).
    assert '<button type="submit">Refine</button>' not in page
    assert 'name="delegate_to"' in page
    assert f'name="csrf" value="{csrf}"' in page
    assert "No decision yet." in page

    refused = client.post(f"/tasks/{second}/decision", headers=HTML, data={
        "csrf": csrf, "transition": "Review-ReviewPending-Decline", "comment": ""})
    assert refused.status_code == 409
    assert "Not done: Decline needs a comment" in refused.text
    nobody = client.post(f"/tasks/{second}/decision", headers=HTML, data={
        "csrf": csrf, "transition": "Review-ReviewPending-Delegate", "delegate_to": "ghost"})
    assert nobody.status_code == 404
    assert "no user `ghost`" in nobody.text
    assert 'value="ghost"' in nobody.text  # what was typed is kept
    declined = client.post(f"/tasks/{second}/decision", headers=HTML, data={
        "csrf": csrf, "transition": "Review-ReviewPending-Decline", "comment": "not now"},
        follow_redirects=False)
    assert declined.status_code == 303
    assert declined.headers["location"] == f"/tasks/{second}?decided=Decline"
    after = client.get(declined.headers["location"], headers=HTML).text
    assert "Decided: Decline" in after
    assert "not now" in after
    assert "<h2>Decide</h2>" not in after

    approved = client.post(f"/tasks/{first}/decision", headers=HTML, data={
        "csrf": csrf, "transition": "Review-ReviewPending-Approve", "comment": ""})
    assert approved.status_code == 200  # followed to the task page
    assert "the workflow is completed" in approved.text
    assert "/runs/" in approved.text
    assert "1 open task" in client.get("/tasks", headers=HTML).text


def test_a_viewer_sees_a_task_but_no_form_and_is_refused_in_words(app: FastAPI) -> None:
    hr = TestClient(app)
    login(hr, "hr")
    task = _task_ids(hr.get("/tasks", headers=HTML).text)[0]
    client = TestClient(app)
    csrf = login(client, "view")
    page = client.get(f"/tasks/{task}", headers=HTML).text
    assert "You may not act on this task" in page
    assert "<button type=\"submit\">Approve</button>" not in page
    refused = client.post(f"/tasks/{task}/decision", headers=HTML, data={
        "csrf": csrf, "transition": "Approve"})
    assert refused.status_code == 403
    assert "Not done: view may not act on task" in refused.text
    missing = client.post("/tasks/999999/decision", headers=HTML, data={
        "csrf": csrf, "transition": "Approve"})
    assert missing.status_code == 404
