"""The one search (issue 12) over every entity type: names in any order, keys, e-mails."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from headcount.repository.users import User
from headcount.web.api.errors import GUARDED, responses
from headcount.web.auth import app_state, require
from headcount.web.search import LIMIT, found

router = APIRouter(tags=["search"], responses=responses(*GUARDED))
Reader = Annotated[User, Depends(require("read"))]


class SearchHitOut(BaseModel):
    entity_type: str
    key: str
    display_name: str
    url: str = Field(description="The resource's page (an identity's page for an identity).")


class SearchGroupOut(BaseModel):
    entity_type: str
    label: str = Field(description="The entity type's display name.")
    total: int = Field(description="How many resources of this type the query finds.")
    items: list[SearchHitOut] = Field(description="The first of them, best first.")


class SearchOut(BaseModel):
    query: str
    groups: list[SearchGroupOut]


@router.get("/search", response_model=SearchOut, responses=responses(422))
def search(request: Request, user: Reader, q: Annotated[str, Query(max_length=200)],
           type: Annotated[str | None, Query(max_length=128, description=(
               "Only this entity type."))] = None,
           limit: Annotated[int, Query(ge=1, le=500, description=(
               "Results per entity type."))] = LIMIT) -> SearchOut:
    """Every word of `q` starts a word of a resource's display name, key, e-mail addresses or
    list columns — in any order, accents and case ignored; grouped by entity type, best first
    (the exact name, then names that start with the query), with a total per type."""
    groups = found(app_state(request), q, limit, type)
    return SearchOut(query=q, groups=[SearchGroupOut(
        entity_type=g.entity_type, label=g.label, total=g.total,
        items=[SearchHitOut(entity_type=h.entity_type, key=h.key, display_name=h.name,
                            url=h.url) for h in g.hits]) for g in groups])
