"""Entity types, resources and connectors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from headcount.repository import resources
from headcount.repository.users import User
from headcount.web import catalog
from headcount.web.api.errors import GUARDED, responses
from headcount.web.api.models import (
    ConnectionOut,
    ConnectorOut,
    EntityTypeOut,
    HistoryOut,
    LinkOut,
    ResourceOut,
    ResourcePage,
    ResourceSummary,
)
from headcount.web.auth import app_state, require
from headcount.web.state import AppState

router = APIRouter(tags=["resources"], responses=responses(*GUARDED))
Reader = Annotated[User, Depends(require("read"))]


@router.get("/entity-types", response_model=list[EntityTypeOut])
def entity_types(request: Request, user: Reader) -> list[EntityTypeOut]:
    """The entity types of every connector, with how many resources each holds."""
    state = app_state(request)
    with state.engine.connect() as conn:
        groups = catalog.menu(state.project(), conn)
    return [EntityTypeOut(identifier=i.entity_type.identifier, connector=i.connector,
                          display_name=i.label, icon=i.entity_type.icon, count=i.count)
            for _, infos in groups for i in infos]


@router.get("/entity-types/{entity_type}/resources", response_model=ResourcePage,
            responses=responses(404, 422))
def list_resources(request: Request, user: Reader, entity_type: str,
                   q: Annotated[str | None, Query(max_length=200)] = None,
                   sort: str | None = None, descending: bool = False,
                   limit: Annotated[int, Query(ge=1, le=500)] = 50,
                   offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> ResourcePage:
    """Search (over the values), filter (`property=value` query parameters), sort, page."""
    state = app_state(request)
    connector, et = catalog.entity_type(state.project(), entity_type)
    known = {p.identifier for p in et.scalar_properties}
    filters = {k: v for k, v in request.query_params.items() if k in known}
    page = state.lists.page(connector.identifier, et, catalog.list_columns(et), q, filters,
                            sort if sort in known else None, descending, limit, offset)
    return ResourcePage(total=page.total, total_is_capped=False, items=[
        ResourceSummary(key=k, display_name=et.display(v), values=v)
        for k, v in page.rows])


@router.get("/entity-types/{entity_type}/resources/{key:path}", response_model=ResourceOut,
            responses=responses(404, 422))
def get_resource(request: Request, user: Reader, entity_type: str, key: str) -> ResourceOut:
    """One resource: its values, its links (and whether they resolve), the links that point at
    it (flip sides), and its history with provenance."""
    state = app_state(request)
    _, et = catalog.entity_type(state.project(), entity_type)
    with state.engine.connect() as conn:
        view = resources.get_resource(conn, et.identifier, key)
    return ResourceOut(
        entity_type=et.identifier, key=view.key, display_name=et.display(view.values),
        values=view.values,
        links={nav: [LinkOut(entity_type=t, key=k, resolved=i is not None) for t, k, i in items]
               for nav, items in view.links.items()},
        reverse={nav: [LinkOut(entity_type=t, key=k, resolved=True) for t, k, _ in items]
                 for nav, items in view.reverse.items()},
        history=[HistoryOut(run_id=h.run_id, at=h.at, kind=h.kind, data=h.data,
                            navigation=h.navigation, target_key=h.target_key, file=h.file,
                            line=h.line) for h in view.history])


@router.get("/connectors", response_model=list[ConnectorOut])
def connectors(request: Request, user: Reader) -> list[ConnectorOut]:
    state = app_state(request)
    project = state.project()
    return [connector_out(state, c.identifier) for c in project.connectors]


@router.get("/connectors/{name}", response_model=ConnectorOut, responses=responses(404, 422))
def get_connector(request: Request, user: Reader, name: str) -> ConnectorOut:
    """A connector: its connections (secrets masked), entity types with counts, blocked run."""
    return connector_out(app_state(request), name)


def connector_out(state: AppState, name: str) -> ConnectorOut:
    project = state.project()
    c = catalog.connector(project, name)
    with state.engine.connect() as conn:
        n = catalog.counts(conn)
        blocked = catalog.blocked_run(conn, c.identifier)
    return ConnectorOut(
        identifier=c.identifier, display_name=c.display_name or c.identifier,
        connections=[ConnectionOut(identifier=x.identifier, package=x.package,
                                   settings=catalog.masked_settings(x.model_dump(mode="json")))
                     for x in c.connections],
        entity_types=[EntityTypeOut(identifier=et.identifier, connector=c.identifier,
                                    display_name=et.display_name or et.identifier, icon=et.icon,
                                    count=n.get(et.identifier, 0)) for et in c.entity_types],
        blocked_run=blocked)
