"""The search page (issue 12): what the top bar's search box finds, grouped by entity type; the
API's /api/search answers the same."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from headcount.repository import search as repository
from headcount.repository.identities import IDENTITY
from headcount.repository.users import User
from headcount.web.auth import app_state, require
from headcount.web.rendering import render
from headcount.web.state import AppState

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]

# Results per entity type: on the page of all types, and of one type ("all 1,234 …").
LIMIT = 10
LIMIT_OF_ONE_TYPE = 200


@dataclass(frozen=True)
class Found:
    entity_type: str
    key: str
    name: str
    url: str


@dataclass(frozen=True)
class FoundGroup:
    entity_type: str
    label: str
    total: int
    hits: list[Found]


def url_of(entity_type: str, key: str) -> str:
    """The page of a resource: an identity's own page for an identity."""
    if entity_type == IDENTITY:
        return f"/identities/{quote(key, safe='')}"
    return f"/entity-types/{quote(entity_type, safe='')}/{quote(key, safe='')}"


def found(state: AppState, query: str, limit: int, entity_type: str | None = None
          ) -> list[FoundGroup]:
    with state.engine.connect() as conn:
        groups = repository.search(conn, state.project(), query, limit, entity_type)
    return [FoundGroup(g.entity_type, g.label, g.total,
                       [Found(h.entity_type, h.key, h.name, url_of(h.entity_type, h.key))
                        for h in g.hits]) for g in groups]


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, user: Reader,
                q: Annotated[str, Query(max_length=200)] = "",
                type: Annotated[str | None, Query(max_length=128)] = None) -> Response:
    groups = found(app_state(request), q, LIMIT_OF_ONE_TYPE if type else LIMIT, type)
    return render(request, "search.html", {
        "search_query": q, "groups": groups, "one_type": type,
        "total": sum(g.total for g in groups)}, user)

