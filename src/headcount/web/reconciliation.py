"""The pages of manual edits and of the Resource Reconciliation (SPEC §6.4, §12): the edit form of
a Directory resource, the manual values shown on its page, and the Resource Reconciliation page
— filtered by state, entity type and resource type, with Approve, Decline and Postpone for the
values ticked. The same code as the API writes and decides."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from headcount.config.model import EntityType, Project, PropertyType
from headcount.policy.reconciliation import computed_properties
from headcount.repository import property_states
from headcount.repository.property_states import STATES, PropertyState
from headcount.repository.schema import resources
from headcount.repository.users import User
from headcount.reviews.edits import ManualEdit, editable
from headcount.web import catalog, i18n, tables
from headcount.web.api.models import Id
from headcount.web.api.reconciliation import (
    UNPROCESSABLE,
    apply_edit,
    filters,
    resource_of,
    take_decision,
)
from headcount.web.auth import app_state, require
from headcount.web.export import export_response
from headcount.web.i18n import format_number, ngettext
from headcount.web.i18n import gettext as _
from headcount.web.rendering import TEMPLATES, language_of, render
from headcount.web.state import AppState
from headcount.web.tables import Column, Kind, Table

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]
Editor = Annotated[User, Depends(require("edit"))]
Decider = Annotated[User, Depends(require("decide"))]
DONE = {"approve": "approved", "decline": "declined", "postpone": "postponed"}
FIELD = "v."  # the prefix of a value's form field: `v.Title`


def shown(value: Any) -> str:
    """A value as a form shows it; a field sent back unchanged is no edit."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _resource_link(entity_type: str, key: str) -> str:
    return f"/entity-types/{quote(entity_type)}/{quote(key, safe='')}"


@router.get("/reconciliation", response_class=HTMLResponse)
def reconciliation_page(
        request: Request, user: Decider,
        state: Annotated[str, Query(max_length=20)] = "open",
        entity_type: Annotated[str, Query(max_length=128)] = "",
        resource_type: Annotated[str, Query(max_length=128)] = "",
        done: Annotated[int | None, Query(ge=0, le=10_000)] = None,
        decision: Annotated[str, Query(max_length=20)] = "") -> Response:
    app = app_state(request)
    project = app.project()
    state = state if state in ("open", "all", *STATES) else "open"
    language, zone = language_of(request, user)
    with i18n.use_locale(language, zone):
        columns = value_columns()
    query = tables.parse(request.query_params.multi_items(), columns, sort="changed_at",
                         keep=("state", "entity_type", "resource_type"))

    def fetch(limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
        with app.engine.connect() as conn:
            total, items = property_states.search(
                conn, filters(state, entity_type, resource_type), limit, offset)
            return total, _rows(conn, project, items)

    total, rows = tables.window(query, "changed_at", fetch, _value)
    if query.export:
        with i18n.use_locale(language, zone):
            headers = [*(c.label for c in columns), _("Entity type"), _("Key"),
                       _("Resource type")]
            title = _("Resource Reconciliation")
        return export_response(title, headers, (
            [*(_value(r, c.name) for c in columns), r["s"].entity_type, r["s"].resource_key,
             r["s"].resource_type] for r in rows), query.export)
    governed = sorted({et.identifier for c in project.connectors for et in c.entity_types
                       if computed_properties(project, et.identifier)})
    return render(request, "reconciliation.html", {
        "rows": rows, "total": total, "state": state, "states": STATES,
        "entity_type": entity_type, "resource_type": resource_type,
        "entity_types": governed,
        "resource_types": [rt.identifier for rt in project.resource_types],
        "table": Table(columns, query, total, _counted),
        "done": done, "decision": DONE.get(decision)}, user)


def value_columns() -> list[Column]:
    return [Column("resource", _("Resource"), filterable=False),
            Column("property", _("Property"), filterable=False),
            Column("current", _("Current (manual) value"), filterable=False),
            Column("proposed", _("Proposed value"), filterable=False),
            Column("state", _("State"), filterable=False),
            Column("changed_by", _("Changed by"), filterable=False),
            Column("changed_at", _("When"), Kind.DATE, filterable=False),
            Column("reason", _("Reason"), filterable=False),
            Column("expires_at", _("Expires"), Kind.DATE, filterable=False)]


def _value(row: dict[str, Any], column: str) -> object:
    s: PropertyState = row["s"]
    if column == "resource":
        return row["name"] or s.resource_key
    if column == "property":
        return row["label"]
    if column == "current":
        return row["current"]
    if column == "proposed":
        return s.proposed_value
    return getattr(s, column, None)


def _counted(n: int) -> str:
    return ngettext("%(count)s value", "%(count)s values", n, count=format_number(n))


def _rows(conn: sa.Connection, project: Project, items: list[PropertyState]
          ) -> list[dict[str, Any]]:
    """Each state with its resource's display name, current value and link."""
    keys = sorted({(s.entity_type, s.resource_key) for s in items})
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for et_name in sorted({et for et, _key in keys}):
        wanted = [k for et, k in keys if et == et_name]
        for key, data in conn.execute(sa.select(resources.c.key, resources.c.data).where(
                resources.c.entity_type == et_name, resources.c.key.in_(wanted))):
            found[(et_name, key)] = json.loads(data)
    rows = []
    for s in items:
        values = found.get((s.entity_type, s.resource_key))
        et = project.entity_type(s.entity_type)
        prop = et[1].find_property(s.property) if et is not None else None
        rows.append({
            "s": s, "exists": values is not None,
            "label": prop.display_name or prop.identifier if prop else s.property,
            "current": values.get(s.property) if values is not None else s.manual_value,
            "name": et[1].display(values) if et is not None and values is not None else "",
            "link": _resource_link(s.entity_type, s.resource_key)})
    return rows


@router.post("/reconciliation/decisions")
def decide_page(request: Request, user: Decider,
                decision: Annotated[str, Form(pattern="^(approve|decline|postpone)$")],
                ids: Annotated[list[Annotated[int, Field(ge=1, le=2_147_483_647)]] | None,
                               Form()] = None,
                comment: Annotated[str, Form(max_length=2000, pattern=r"^[^\x00]*$")] = "",
                state: Annotated[str, Form(max_length=20)] = "open",
                entity_type: Annotated[str, Form(max_length=128)] = "",
                resource_type: Annotated[str, Form(max_length=128)] = "") -> Response:
    if not ids:
        raise HTTPException(UNPROCESSABLE,
                            "tick at least one value to decide on")
    out = take_decision(app_state(request), user, ids, decision, comment)
    query = urlencode({"state": state, "entity_type": entity_type,
                       "resource_type": resource_type, "done": len(out.decided),
                       "decision": decision})
    return RedirectResponse(f"/reconciliation?{query}", status_code=303)


@router.get("/resources/{resource_id}/manual-values", response_class=HTMLResponse)
def manual_values(request: Request, user: Reader, resource_id: Id) -> Response:
    """The resource page's block: its values held against HR, and the link to edit it."""
    app = app_state(request)
    entity_type, key = resource_of(app, resource_id)
    project = app.project()
    with app.engine.connect() as conn:
        held = sorted(property_states.of_resource(conn, entity_type, key).values(),
                      key=lambda s: s.property)
    # A fragment: without the left menu, whose counts would cost a scan per resource page.
    return TEMPLATES.TemplateResponse(request, "_manual_values.html", {
        "user": user, "resource_id": resource_id, "held": held,
        "can_edit": editable(project, entity_type) and user.can("edit")})


@router.get("/resources/{resource_id}/edit", response_class=HTMLResponse)
def edit_page(request: Request, user: Editor, resource_id: Id) -> Response:
    return _edit_form(request, user, resource_id, None, {})


@router.post("/resources/{resource_id}/edit")
async def edit_submit(request: Request, user: Editor, resource_id: Id) -> Response:
    # The fields are the entity type's properties: read the form whole, not by declared names.
    form = await request.form()
    if any(not isinstance(v, str) for _, v in form.multi_items()):
        await form.close()  # the uploads' temporary files
        raise HTTPException(UNPROCESSABLE, "values are text fields, not files")
    sent = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    return await run_in_threadpool(_edit, request, user, resource_id, sent)


def _edit(request: Request, user: User, resource_id: int, sent: dict[str, str]) -> Response:
    app = app_state(request)
    entity_type, key = resource_of(app, resource_id)
    project = app.project()
    _, et = catalog.entity_type(project, entity_type)
    current = _current(app, entity_type, key)
    values = {name[len(FIELD):]: text for name, text in sent.items()
              if name.startswith(FIELD) and text != shown(current.get(name[len(FIELD):]))}
    try:
        expires_at = _expiry(sent.get("expires_on", ""))
        if not values:
            raise HTTPException(UNPROCESSABLE, "no value was changed")
        apply_edit(app, user, ManualEdit(et.identifier, key, values, sent.get("reason", ""),
                                         expires_at))
    except HTTPException as exc:
        if exc.status_code != UNPROCESSABLE:
            raise
        return _edit_form(request, user, resource_id, str(exc.detail), sent)
    return RedirectResponse(_resource_link(et.identifier, key), status_code=303)


def _expiry(text: str) -> datetime | None:
    """An override's last day, given as a date: HR's value comes back the next morning (UTC)."""
    if not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise HTTPException(UNPROCESSABLE,
                            f"the override's last day is a date (YYYY-MM-DD), not {text!r}"
                            ) from None
    if day >= date.max:
        raise HTTPException(UNPROCESSABLE, "the override's last day is before 9999-12-31")
    return datetime.combine(day, time.min, UTC) + timedelta(days=1)


def _current(app: AppState, entity_type: str, key: str) -> dict[str, Any]:
    with app.engine.connect() as conn:
        data = conn.execute(sa.select(resources.c.data).where(
            resources.c.entity_type == entity_type, resources.c.key == key)).scalar()
    return {} if data is None else dict(json.loads(data))


def _edit_form(request: Request, user: User, resource_id: int, error: str | None,
               sent: dict[str, str]) -> Response:
    app = app_state(request)
    entity_type, key = resource_of(app, resource_id)
    project = app.project()
    _, et = catalog.entity_type(project, entity_type)
    if not editable(project, et.identifier):
        raise HTTPException(UNPROCESSABLE,
                            f"{et.identifier} resources are read from HR files: change them in "
                            "the file, not by hand")
    current = _current(app, et.identifier, key)
    with app.engine.connect() as conn:
        held = property_states.of_resource(conn, et.identifier, key)
    fields = _fields(et, project, current, held, sent)
    return render(request, "manual_edit.html", {
        "et": et, "key": key, "resource_id": resource_id,
        "title": et.display(current) or key, "fields": fields, "error": error,
        "reason": sent.get("reason", ""), "expires_on": sent.get("expires_on", ""),
        "link": _resource_link(et.identifier, key)}, user,
        status_code=UNPROCESSABLE if error else 200)


def _fields(et: EntityType, project: Project, current: dict[str, Any],
            held: dict[str, PropertyState], sent: dict[str, str]) -> list[dict[str, Any]]:
    computed = computed_properties(project, et.identifier)
    discarding = {rt.identifier for rt in project.resource_types if rt.discard_manual_changes}
    out = []
    for prop in et.scalar_properties:
        if prop.identifier in et.keys:
            continue
        value = shown(current.get(prop.identifier))
        options: list[str] = []
        if prop.type is PropertyType.ENUM:
            options = list(prop.values or [])
        elif prop.type is PropertyType.BOOL:
            options = ["true", "false"]
        if options and value and value not in options:
            options.append(value)  # a value the form could not show would be lost unchanged
        out.append({
            "name": prop.identifier, "label": prop.display_name or prop.identifier,
            "type": prop.type.value, "value": sent.get(FIELD + prop.identifier, value),
            "options": options, "computed": computed.get(prop.identifier, []),
            "discarded": any(rt in discarding for rt in computed.get(prop.identifier, [])),
            "state": held.get(prop.identifier)})
    return out
