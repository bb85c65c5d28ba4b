"""The list of an entity type's resources and a resource's page with its links and the eye
icon (SPEC §12)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from headcount.errors import NotFound
from headcount.repository import resources
from headcount.repository.names import display_names_by_id
from headcount.repository.reverse import linking
from headcount.repository.users import User
from headcount.web import catalog, systems
from headcount.web.api.models import Id
from headcount.web.auth import app_state, require
from headcount.web.linked import linked_from
from headcount.web.rendering import fragment, render

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
                  tab: str = "properties", linked: str | None = None,
                  lq: Annotated[str, Query(max_length=200)] = "",
                  lpage: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> Response:
    state = app_state(request)
    project = state.project()
    _, et = catalog.entity_type(project, entity_type)
    with state.engine.connect() as conn:
        view = resources.get_resource(conn, et.identifier, key)
        # Every resource the page shows, named in one call whatever the number of links.
        names = display_names_by_id(conn, project, [
            *(tid for targets in view.links.values() for _, _, tid in targets if tid),
            *(sid for sources in view.reverse.values() for _, _, sid in sources)])
    groups: dict[str, list[tuple[str, Any]]] = {}
    for p in sorted(et.scalar_properties, key=lambda p: (p.group or "", p.identifier)):
        groups.setdefault(p.group or "", []).append(
            (p.display_name or p.identifier, view.values.get(p.identifier)))
    navigations = [(p, [(ttype, tkey, tid, names[tid][2] if tid in names else tkey)
                        for ttype, tkey, tid in view.links.get(p.identifier, [])])
                   for p in et.properties if p.is_navigation]
    return render(request, "resource.html", {
        "et": et, "view": view, "name": et.display(view.values).strip() or key,
        "groups": groups, "navigations": navigations, "page_url": _page_url(et.identifier, key),
        "reverse": linked_from(project, view.reverse, names, linked, lq, lpage),
        "tab": "history" if tab == "history" else "properties",
        **systems.account_sections(state, et.identifier, view.key)}, user)


@router.get("/resources/{resource_id}/linked-from", response_class=HTMLResponse)
def linked_from_block(request: Request, user: Reader, resource_id: Id, linked: str,
                      lq: Annotated[str, Query(max_length=200)] = "",
                      lpage: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> Response:
    """One "Linked from" block, filtered and paged: what its filter box and pager load with htmx
    (without script they load the whole page)."""
    state = app_state(request)
    project = state.project()
    with state.engine.connect() as conn:
        found = display_names_by_id(conn, project, [resource_id])
        if resource_id not in found:
            raise NotFound(f"no resource with id {resource_id}")
        sources = linking(conn, resource_id, linked)
        names = display_names_by_id(conn, project, [sid for s in sources.values()
                                                    for _, _, sid in s])
    entity_type, key, _name = found[resource_id]
    blocks = linked_from(project, sources, names, linked, lq, lpage)
    if not blocks:
        raise NotFound(f"nothing links to {entity_type} `{key}` through `{linked}`")
    return fragment(request, "_linked_from.html", {
        "block": blocks[0], "page_url": _page_url(entity_type, key),
        "block_url": f"/resources/{resource_id}/linked-from"}, user)


def _page_url(entity_type: str, key: str) -> str:
    return f"/entity-types/{quote(entity_type)}/{quote(key)}"
