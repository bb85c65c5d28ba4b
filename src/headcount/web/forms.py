"""Starting a workflow by hand from the pages (SPEC §7.3): the workflows the person may start,
then a form generated from the workflow's entity type and properties — an update of an
existing subject, pre-filled with its values, or a creation — with errors beside each field
and the homonyms of a creation shown before anything starts ("create anyway")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from headcount.repository.users import User
from headcount.web.auth import app_state, require
from headcount.web.rendering import render
from headcount.workflows import forms
from headcount.workflows.tasks import get_instance

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]
NoNul = r"^[^\x00]*$"
MAX_VALUE = 2000


@router.get("/workflows/start", response_class=HTMLResponse)
def start_page(request: Request, user: Reader) -> Response:
    project = app_state(request).project()
    return render(request, "start.html", {"workflows": forms.startable(project, user)}, user)


@router.get("/workflows/start/{workflow}", response_class=HTMLResponse)
def form_page(request: Request, user: Reader, workflow: str,
              key: Annotated[str, Query(max_length=1000, pattern=NoNul)] = "") -> Response:
    return _form(request, user, workflow, key.strip() or None, None, {}, [], "", 200)


@router.post("/workflows/start/{workflow}")
async def start(request: Request, user: Reader, workflow: str) -> Response:
    state = app_state(request)
    form = await request.form()
    key = str(form.get("key", "")).strip()[:1000] or None
    message = str(form.get("message", "")).strip()[:MAX_VALUE] or None
    wf, et = forms.workflow(state.project(), workflow)
    given: dict[str, str | list[str] | None] = {}
    for prop in forms.properties(wf, et):
        name = f"v.{prop.identifier}"
        if prop.is_navigation and prop.multivalued:
            given[prop.identifier] = [str(v)[:MAX_VALUE] for v in form.getlist(name)]
        elif name in form:
            given[prop.identifier] = str(form.get(name, ""))[:MAX_VALUE]
    if key is not None:
        # An update carries what the person changed; the key itself is not typed again.
        given = {p: v for p, v in given.items() if p not in forms.key_names(et)}
    try:
        started = forms.start_by_hand(state.engine, state.project(), wf.identifier, key, given,
                                      user, message, form.get("create_anyway") == "yes")
    except forms.FormErrors as exc:
        return _form(request, user, workflow, key, given, exc.errors, [], message or "", 422)
    except forms.HomonymsFound as exc:
        return _form(request, user, workflow, key, given, {}, exc.homonyms, message or "",
                     409)
    with state.engine.connect() as conn:
        opened = [t.id for t in get_instance(conn, state.project(),
                                             started.instance_id).tasks if t.open]
    if opened:
        return RedirectResponse(f"/tasks/{opened[0]}?decided=started", status_code=303)
    return RedirectResponse(f"/entity-types/{et.identifier}/{started.subject_key}",
                            status_code=303)


def _form(request: Request, user: User, workflow: str, key: str | None,
          given: dict[str, Any] | None, errors: dict[str, str], homonyms: list[Any],
          message: str, status_code: int) -> Response:
    state = app_state(request)
    project = state.project()
    wf, et = forms.workflow(project, workflow)
    with state.engine.connect() as conn:
        now = forms.subject(conn, et, key)
        fields = forms.fields(conn, project, wf, et, now)
    if given is not None:
        # What was typed is kept beside its error.
        fields = [_typed_again(f, given) for f in fields]
    return render(request, "start_form.html", {
        "wf": wf, "et": et, "fields": fields, "key": key, "exists": now.exists,
        "errors": errors, "homonyms": homonyms, "message": message,
        "may_start": forms.may_start(project, wf, user)}, user, status_code=status_code)


def _typed_again(field: forms.FormField, given: dict[str, Any]) -> forms.FormField:
    if field.name not in given:
        return field
    value = given[field.name]
    return forms.FormField(field.name, field.label, field.kind, field.required, field.multiple,
                           field.choices, value if value is not None else "", field.is_key)
