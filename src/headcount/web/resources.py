"""The list of an entity type's resources and a resource's page with its links and the eye
icon (SPEC §12)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from headcount.repository import resources
from headcount.repository.users import User
from headcount.web import catalog, systems
from headcount.web.auth import app_state, require
from headcount.web.changes import history_lines
from headcount.web.rendering import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]
Operator = Annotated[User, Depends(require("run"))]
Admin = Annotated[User, Depends(require("admin"))]


PAGE_SIZE = 50


@router.get("/entity-types/{entity_type}", response_class=HTMLResponse)
def entity_list(request: Request, user: Reader, entity_type: str,
                q: Annotated[str | None, Query(max_length=200)] = None,
                sort: str | None = None, descending: bool = False,
                page: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> Response:
    state = app_state(request)
    connector, et = catalog.entity_type(state.project(), entity_type)
    columns = catalog.list_columns(et)
    known = {p.identifier for p in et.scalar_properties}
    filters = {k[2:]: v for k, v in request.query_params.items()
               if k.startswith("f.") and k[2:] in known and v}
    new_property, new_value = request.query_params.get("fp"), request.query_params.get("fv")
    if new_property in known and new_value:
        filters[new_property] = new_value
    found = state.lists.page(connector.identifier, et, columns, q or None, filters,
                             sort if sort in known else None, descending, PAGE_SIZE,
                             (page - 1) * PAGE_SIZE)
    rows = [(k, et.display(v), v) for k, v in found.rows]
    return render(request, "list.html", {
        "et": et, "columns": columns, "rows": rows, "total": found.total,
        "capped": False, "q": q or "", "sort": sort if sort in known else None,
        "descending": descending, "page": page, "pages": max(1, -(-found.total // PAGE_SIZE)),
        "filters": filters, "properties": sorted(known)}, user)


@router.get("/entity-types/{entity_type}/{key:path}", response_class=HTMLResponse)
def resource_page(request: Request, user: Reader, entity_type: str, key: str,
                  tab: str = "properties") -> Response:
    state = app_state(request)
    project = state.project()
    _, et = catalog.entity_type(project, entity_type)
    with state.engine.connect() as conn:
        view = resources.get_resource(conn, et.identifier, key)
        history = history_lines(conn, project, et, key, view.history) if tab == "history" else []
    groups: dict[str, list[tuple[str, Any]]] = {}
    for p in sorted(et.scalar_properties, key=lambda p: (p.group or "", p.identifier)):
        groups.setdefault(p.group or "Properties", []).append(
            (p.display_name or p.identifier, view.values.get(p.identifier)))
    navigations = [(p, view.links.get(p.identifier, [])) for p in et.properties
                   if p.is_navigation]
    reverse = []
    for nav, sources in view.reverse.items():
        source_type, _, prop = nav.partition(".")
        found = project.entity_type(source_type)
        flip = found[1].find_property(prop) if found else None
        reverse.append((flip.flip if flip and flip.flip else nav, sources))
    return render(request, "resource.html", {
        "et": et, "view": view, "title": et.display(view.values) or key,
        "groups": groups, "navigations": navigations, "reverse": reverse,
        "tab": "history" if tab == "history" else "properties", "history": history,
        **systems.account_sections(state, et.identifier, view.key)}, user)


