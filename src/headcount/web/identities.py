"""The identity page (SPEC §5, §8, §12): state and dates of an identity, its records with their
validity (current, future, past) and main values, and the provisioning orders that concerned
them. The resource page of a Directory_User links here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from headcount.repository.names import display_names
from headcount.repository.users import User
from headcount.web import systems
from headcount.web.api.identities import identity_view
from headcount.web.auth import app_state, require
from headcount.web.rendering import render
from headcount.workflows import history

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]


@router.get("/identities/{key:path}", response_class=HTMLResponse)
def identity_page(request: Request, user: Reader, key: str) -> Response:
    state = app_state(request)
    project = state.project()
    found = identity_view(state, key)
    targets = {rt.identifier: rt.target for rt in project.resource_types}
    with state.engine.connect() as conn:
        started = history.of_subject(conn, "Directory_User", found.key)
        # The orders' targets by name, in one call for all of them.
        names = display_names(conn, project, [(targets[o.resource_type], o.target_key)
                                              for o in found.orders
                                              if o.resource_type in targets])
    order_targets = {o.id: (targets[o.resource_type], names[(targets[o.resource_type],
                                                            o.target_key)])
                     for o in found.orders if (targets.get(o.resource_type), o.target_key)
                     in names}
    return render(request, "identity.html", {
        "identity": found, "workflows": started, "order_targets": order_targets,
        **systems.account_sections(state, "Directory_User", found.key)}, user)
