"""Per-value provenance on the resource page (SPEC §12, §15.1): a fragment the page loads with
htmx, and the same as a page of its own for a browser without script."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from headcount.repository import provenance
from headcount.repository.names import display_names
from headcount.repository.users import User
from headcount.web.api.models import Id
from headcount.web.auth import app_state, require
from headcount.web.rendering import fragment, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]


@router.get("/resources/{resource_id}/provenance", response_class=HTMLResponse)
def provenance_page(request: Request, user: Reader, resource_id: Id) -> Response:
    state = app_state(request)
    project = state.project()
    with state.engine.connect() as conn:
        found = provenance.provenance_by_id(conn, project, resource_id)
        # The resources values come from, by name: one query for the page.
        names = display_names(conn, project, {
            (v.source_entity_type, v.source_key) for v in found.values
            if v.source_entity_type and v.source_key} | {(found.entity_type, found.key)})
    if not (user.can("decide") or user.can("edit")):
        found = found.without_people()
    located = project.entity_type(found.entity_type)
    et = located[1] if located else None
    labels = {p.identifier: p.display_name or p.identifier for p in et.properties} if et else {}
    context = {"prov": found, "labels": labels, "et": et, "names": names,
               "name": names.get((found.entity_type, found.key), found.key)}
    if request.headers.get("HX-Request") == "true":
        # A fragment of the resource page: no left menu, whose counts would scan the resources.
        return fragment(request, "_provenance.html", context, user)
    return render(request, "provenance.html", context, user)
