"""Identities (SPEC §5, §8): an identity's state and dates, its records with their validity and
main values, and the provisioning orders that concerned them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from headcount.repository import identities
from headcount.repository.identities import Identity
from headcount.repository.users import User
from headcount.web.api.errors import GUARDED, responses
from headcount.web.api.timestamps import Day, Instant
from headcount.web.auth import app_state, require
from headcount.web.state import AppState

router = APIRouter(tags=["identities"], responses=responses(*GUARDED))
Reader = Annotated[User, Depends(require("read"))]


class LinkedOut(BaseModel):
    entity_type: str
    key: str
    display_name: str
    resolved: bool


class RecordOut(BaseModel):
    entity_type: str
    key: str
    display_name: str
    start: Day | None
    end: Day | None
    validity: str = Field(description="current | future | past, against the day asked")
    values: dict[str, Any]
    links: dict[str, list[LinkedOut]] = Field(
        description="Organization, Manager, Site… of the record.")


class IdentityOrderOut(BaseModel):
    id: int
    run_id: int
    run_mode: str
    run_state: str
    at: Instant | None
    resource_type: str
    kind: str
    source_key: str | None
    target_key: str
    changes: dict[str, Any]


class IdentityOut(BaseModel):
    key: str = Field(description="The identity's Identifier.")
    display_name: str
    state: str | None = Field(description="pre-hire | active | left")
    start: Day | None
    end: Day | None
    values: dict[str, Any]
    records: list[RecordOut]
    orders: list[IdentityOrderOut] = Field(description="Newest first.")
    more_orders: bool = Field(description="Older orders exist beyond those listed.")


def identity_view(state: AppState, key: str, on: Day | None = None) -> Identity:
    with state.engine.connect() as conn:
        return identities.identity(conn, state.project(), key, on=on)


def identity_out(found: Identity) -> IdentityOut:
    return IdentityOut(
        key=found.key, display_name=found.display_name, state=found.state, start=found.start,
        end=found.end, values=found.values, more_orders=found.more_orders,
        records=[RecordOut(
            entity_type=r.entity_type, key=r.key, display_name=r.display_name, start=r.start,
            end=r.end, validity=r.validity, values=r.values,
            links={nav: [LinkedOut(entity_type=t.entity_type, key=t.key,
                                   display_name=t.display_name, resolved=t.exists)
                         for t in targets] for nav, targets in r.links.items()})
            for r in found.records],
        orders=[IdentityOrderOut(id=o.id, run_id=o.run_id, run_mode=o.run_mode,
                                 run_state=o.run_state, at=o.at, resource_type=o.resource_type,
                                 kind=o.kind, source_key=o.source_key, target_key=o.target_key,
                                 changes=o.changes) for o in found.orders])


@router.get("/identities/{key:path}", response_model=IdentityOut,
            responses=responses(404, 422))
def get_identity(request: Request, user: Reader, key: str,
                 on: Annotated[Day | None, Query(
                     description="Date the records' validity against this day (default: "
                                 "today at each record's site).")] = None) -> IdentityOut:
    """An identity (a Directory_User, by its Identifier): state, start and end dates, records
    with their validity and main values, and the provisioning orders that concerned them."""
    return identity_out(identity_view(app_state(request), key, on))
