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
from webproject import bearer, login, make_app

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
    # The new manager by name: an identity is named by its person since issue 12.
    manager = client.get("/api/identities/E00001", headers=bearer(app, "hr", ["read"])).json()
    assert re.search(r"<th scope=\"row\">Manager</th><td>[^<]+</td><td>"
                     f"{manager['values']['FirstName']} {manager['values']['LastName']}</td>",
                     page)
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


def test_the_start_page_lists_the_workflows_the_person_may_start(app: FastAPI) -> None:
    client = TestClient(app)
    login(client, "hr")
    assert 'href="/workflows/start"' in client.get("/tasks", headers=HTML).text
    page = client.get("/workflows/start", headers=HTML).text
    for name in ("Change a title", "New person", "Rename a person"):
        assert name in page
    viewer = TestClient(app)
    login(viewer, "view")
    assert "You may start no workflow." in viewer.get("/workflows/start", headers=HTML).text
    form = viewer.get("/workflows/start/NewPerson", headers=HTML).text
    assert "You may not start this workflow." in form


def test_the_form_of_an_update_is_filled_with_the_current_values(app: FastAPI) -> None:
    client = TestClient(app)
    csrf = login(client, "hr")
    page = client.get("/workflows/start/NewPerson?key=P1", headers=HTML).text
    assert re.search(r'id="v-LastName" name="v.LastName" value="Dupont"', page)
    assert re.search(r'id="v-BirthDate" name="v.BirthDate" value="1990-05-17" type="date"',
                     page)
    assert '<option value="employee" selected>employee</option>' in page
    # A navigation is a select of its targets by name, the key beside it.
    assert re.search(r'<select id="v-Site" name="v.Site">\s*<option value="">—</option>'
                     r'\s*<option value="[^"]+">[^<]+ \([^)]+\)</option>', page)
    started = client.post("/workflows/start/Rename", headers=HTML, data={
        "csrf": csrf, "key": "P2", "v.LastName": "Martin", "v.FirstName": "Pierre"},
        follow_redirects=False)
    assert started.status_code == 303
    assert started.headers["location"] == "/entity-types/Person/P2"
    assert "Pierre" in client.get("/entity-types/Person/P2", headers=HTML).text


def test_a_creation_shows_errors_beside_fields_then_homonyms_then_starts(
        app: FastAPI) -> None:
    client = TestClient(app)
    csrf = login(client, "hr")
    form = client.get("/workflows/start/NewPerson", headers=HTML).text
    assert "Last name <span class=\"muted\">(required)</span>" in form
    refused = client.post("/workflows/start/NewPerson", headers=HTML, data={
        "csrf": csrf, "v.PersonId": "P3", "v.LastName": "", "v.FirstName": "Zoe",
        "v.BirthDate": "1990-17-05"})
    assert refused.status_code == 422
    assert re.search(r'aria-invalid="true" aria-describedby="v-LastName-error"', refused.text)
    assert '<p class="error field-error" id="v-LastName-error">required</p>' in refused.text
    assert "is not a date (YYYY-MM-DD)" in refused.text
    assert 'value="Zoe"' in refused.text  # what was typed is kept
    typed = {"csrf": csrf, "v.PersonId": "P3", "v.LastName": "DUPONT", "v.FirstName": "Zoe",
             "v.BirthDate": "", "v.Kind": "contractor", "message": "joins on Monday"}
    warned = client.post("/workflows/start/NewPerson", headers=HTML, data=typed)
    assert warned.status_code == 409
    assert "Possible homonyms" in warned.text
    assert 'href="/entity-types/Person/P1">Dupont Zoé</a>' in warned.text
    assert "same names" in warned.text
    assert 'name="create_anyway"' in warned.text
    started = client.post("/workflows/start/NewPerson", headers=HTML,
                          data={**typed, "create_anyway": "yes"}, follow_redirects=False)
    assert started.status_code == 303
    task = client.get(started.headers["location"], headers=HTML).text
    assert "started: this is its first task" in task
    assert "joins on Monday" in task
    assert "Possible homonyms" in task  # the reviewer sees them too
    assert 'href="/entity-types/Person/P1"' in task


def test_ticked_tasks_carrying_one_change_are_decided_at_once(app: FastAPI) -> None:
    client = TestClient(app)
    csrf = login(client, "hr")
    for key in ("E00030", "E00031"):
        client.post("/workflows/start/Retitle", headers=HTML, data={
            "csrf": csrf, "key": key, "v.Title": "Auditor"})
    listed = client.get("/tasks?subject=E0003", headers=HTML).text
    ids = _task_ids(listed)
    assert len(ids) == 2
    assert 'name="ids"' in listed
    mixed = client.post("/tasks/decisions", headers=HTML, data={
        "csrf": csrf, "ids": [ids[0], _task_ids(client.get("/tasks", headers=HTML).text)[0]],
        "transition": "Approve"})
    assert mixed.status_code == 409
    assert "Nothing decided:" in mixed.text
    done = client.post("/tasks/decisions", headers=HTML, data={
        "csrf": csrf, "ids": ids, "transition": "Approve", "comment": "both"})
    assert done.status_code == 200
    assert "Decided 2 tasks" in done.text
    assert "3 open tasks" in done.text
