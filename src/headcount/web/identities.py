"""The identity page (SPEC §5, §8, §12): state and dates of an identity, its records with their
validity (current, future, past) and main values, and the provisioning orders that concerned
them. The resource page of a Directory_User links here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from headcount.config.model import Project, Property
from headcount.repository.names import display_names
from headcount.repository.users import User
from headcount.web import systems
from headcount.web.api.identities import identity_view
from headcount.web.auth import app_state, require
from headcount.web.rendering import render
from headcount.workflows import history

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]


@dataclass(frozen=True)
class OrderChange:
    """One changed value of an order as a person reads it: the property's display name, and the
    values before and after — a linked resource's key with its name."""

    label: str
    before: Any
    after: Any
    target_type: str | None = None  # a navigation's: the values are keys of this type


@router.get("/identities/{key:path}", response_class=HTMLResponse)
def identity_page(request: Request, user: Reader, key: str) -> Response:
    state = app_state(request)
    project = state.project()
    found = identity_view(state, key)
    targets = {rt.identifier: rt.target for rt in project.resource_types}
    changes = {o.id: _changes(project, targets.get(o.resource_type), o.changes)
               for o in found.orders}
    refs = [(targets[o.resource_type], o.target_key) for o in found.orders
            if o.resource_type in targets]
    refs += [(c.target_type, k) for cs in changes.values() for c in cs if c.target_type
             for k in (c.before, c.after) if isinstance(k, str)]
    with state.engine.connect() as conn:
        started = history.of_subject(conn, "Directory_User", found.key)
        # The orders' targets and the resources they link, in one call for all of them.
        names = display_names(conn, project, refs)
    order_targets = {o.id: (targets[o.resource_type],
                            names.get((targets[o.resource_type], o.target_key)))
                     for o in found.orders if o.resource_type in targets}
    return render(request, "identity.html", {
        "identity": found, "workflows": started, "order_targets": order_targets,
        "order_changes": changes, "names": names,
        **systems.account_sections(state, "Directory_User", found.key)}, user)


def _changes(project: Project, entity_type: str | None, changes: dict[str, Any]
             ) -> list[OrderChange]:
    found = project.entity_type(entity_type) if entity_type else None
    et = found[1] if found else None

    def prop(name: str) -> Property | None:
        return et.find_property(name) if et else None

    out = [OrderChange((p.display_name or name) if (p := prop(name)) else name, *pair)
           for name, pair in changes.get("values", {}).items()]
    out += [OrderChange((p.display_name or name) if (p := prop(name)) else name, pair[0],
                        pair[1], p.target if p else None)
            for name, pair in changes.get("links", {}).items()]
    return out
