"""The My Tasks pages (SPEC §7.3, §12): the open tasks of the logged-in person, filtered by
workflow and subject, and one task — its subject, message, change set, the decisions so far and
a form per transition. The same code as the API decides; a refusal is shown on the page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from headcount.campaigns import store as campaign_store
from headcount.errors import HeadcountError, NotFound
from headcount.repository.users import User
from headcount.web import forms, i18n, tables
from headcount.web.api.models import Id
from headcount.web.api.tasks import (
    TaskOut,
    take_decision,
    take_decisions,
    task_detail,
    task_page,
)
from headcount.web.auth import app_state, require
from headcount.web.export import export_response
from headcount.web.i18n import format_number, ngettext
from headcount.web.i18n import gettext as _
from headcount.web.rendering import language_of, render
from headcount.web.tables import Column, Kind, Table
from headcount.workflows.engine import NotAllowed
from headcount.workflows.forms import startable

router = APIRouter(include_in_schema=False)
# Starting a workflow by hand belongs with My Tasks: the same people, the same menu entry.
router.include_router(forms.router)
Reader = Annotated[User, Depends(require("read"))]
NoNul = r"^[^\x00]*$"


@router.get("/tasks", response_class=HTMLResponse)
def tasks_page(request: Request, user: Reader,
               workflow: Annotated[str, Query(max_length=200, pattern=NoNul)] = "",
               subject: Annotated[str, Query(max_length=1000, pattern=NoNul)] = "",
               older_than: Annotated[str, Query(max_length=20, pattern=r"^\d{0,5}$")] = "",
               page: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> Response:
    return _list(request, user, workflow, subject, older_than, page, {})


def _list(request: Request, user: User, workflow: str, subject: str, older_than: str,
          page: int, context: dict[str, Any], status_code: int = 200) -> Response:
    state = app_state(request)
    language, zone = language_of(request, user)
    with i18n.use_locale(language, zone):
        columns = task_columns()
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    query = tables.parse([*params, ("page", str(page))], columns, sort="opened_at",
                         keep=("workflow", "subject", "older_than"))

    def fetch(limit: int, offset: int) -> tuple[int, list[TaskOut]]:
        return task_page(state, user, workflow.strip(), subject.strip(), limit, offset,
                         float(older_than) if older_than else None)

    total, items = tables.window(query, "opened_at", fetch, _task_value)
    if query.export:
        with i18n.use_locale(language, zone):
            headers = [*(c.label for c in columns), _("Subject key"), _("State")]
            title = _("My Tasks")
        return export_response(title, headers, (
            [t.id, t.subject_display_name or t.subject_key, t.workflow_display_name,
             t.activity, t.message, t.opened_at, t.deadline, t.subject_key, t.state]
            for t in items), query.export)
    project = state.project()
    with state.engine.connect() as conn:
        reviews = campaign_store.waiting(conn, user)  # review items are tasks too
    return render(request, "tasks.html", {
        "reviews": reviews, "table": Table(columns, query, total, _counted),
        "tasks": items, "total": total, "workflow": workflow, "subject": subject,
        "older_than": older_than, "workflows": project.workflows, "page": query.page,
        "may_start": bool(startable(project, user)), **context}, user,
        status_code=status_code)


def task_columns() -> list[Column]:
    return [Column("id", _("Task"), filterable=False),
            Column("subject", _("Subject"), filterable=False),
            Column("workflow", _("Workflow"), filterable=False),
            Column("activity", _("Activity"), filterable=False),
            Column("message", _("Message"), filterable=False),
            Column("opened_at", _("Waiting since"), Kind.DATE, filterable=False),
            Column("deadline", _("Deadline"), Kind.DATE, filterable=False)]


def _task_value(task: TaskOut, column: str) -> object:
    if column == "subject":
        return task.subject_display_name or task.subject_key
    if column == "workflow":
        return task.workflow_display_name
    return getattr(task, column, None)


def _counted(n: int) -> str:
    return ngettext("%(count)s open task", "%(count)s open tasks", n, count=format_number(n))


@router.post("/tasks/decisions")
async def decide_many(request: Request, user: Reader) -> Response:
    """The bulk form of the list: the ticked tasks, one transition, one comment."""
    form = await request.form()
    ids = [int(str(v)) for v in form.getlist("ids") if str(v).isdigit()][:1000]
    transition = str(form.get("transition", ""))[:200]
    comment = str(form.get("comment", ""))[:2000]
    try:
        done = take_decisions(app_state(request), user, ids, None, transition, comment)
    except (HeadcountError, HTTPException) as exc:
        message = str(exc.detail) if isinstance(exc, HTTPException) else str(exc)
        return _list(request, user, "", "", "", 1, {"bulk_error": message,
                                                    "comment": comment}, 409)
    return _list(request, user, "", "", "", 1, {"bulk": done})


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
def task_page_view(request: Request, user: Reader, task_id: Id,
                   decided: Annotated[str, Query(max_length=200, pattern=NoNul)] = ""
                   ) -> Response:
    detail = task_detail(app_state(request), user, task_id)
    return render(request, "task.html", {"d": detail, "decided": decided}, user)


@router.post("/tasks/{task_id}/decision")
def decide(request: Request, user: Reader, task_id: Id,
           transition: Annotated[str, Form(max_length=200, pattern=NoNul)] = "",
           comment: Annotated[str, Form(max_length=2000, pattern=NoNul)] = "",
           delegate_to: Annotated[str, Form(max_length=200, pattern=NoNul)] = ""
           ) -> Response:
    state = app_state(request)
    try:
        decided = take_decision(state, user, task_id, transition, comment, delegate_to)
    except (HeadcountError, HTTPException) as exc:
        # Any refusal is read beside the forms, with what was typed kept; a task that does
        # not exist is the error page (task_detail raises its NotFound).
        detail = task_detail(state, user, task_id)
        code = (exc.status_code if isinstance(exc, HTTPException) else 403
                if isinstance(exc, NotAllowed) else 404 if isinstance(exc, NotFound) else 409)
        message = str(exc.detail) if isinstance(exc, HTTPException) else str(exc)
        return render(request, "task.html", {
            "d": detail, "error": message, "tried": transition, "comment": comment,
            "delegate_to": delegate_to}, user, status_code=code)
    outcome = transition.rpartition("-")[2] or transition
    return RedirectResponse(f"/tasks/{decided.task_id}?decided={outcome}", status_code=303)
