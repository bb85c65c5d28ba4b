"""Manual edits of Directory values and the Resource Reconciliation (SPEC §6.4): change a value
by hand (right `edit`), list the values held against HR, and Approve, Decline or Postpone them
one by one or in bulk (right `decide`). Every change and decision is audited."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from headcount.errors import NotFound
from headcount.repository import property_states
from headcount.repository.property_states import OPEN, STATES, Filters, PropertyState
from headcount.repository.schema import resources
from headcount.repository.users import User
from headcount.reviews.decisions import DecisionRefused, decide
from headcount.reviews.edits import EditRefused, EditResult, ManualEdit, edit_resource
from headcount.web.api.errors import GUARDED, responses
from headcount.web.api.models import Id
from headcount.web.api.timestamps import Instant
from headcount.web.auth import app_state, require
from headcount.web.state import AppState

router = APIRouter(tags=["reconciliation"], responses=responses(*GUARDED))
Editor = Annotated[User, Depends(require("edit"))]
Decider = Annotated[User, Depends(require("decide"))]
StateFilter = Literal["open", "all", "unreconciled", "questioned", "postponed", "protected",
                      "override"]
Text = Annotated[str, Field(max_length=2000, pattern=r"^[^\x00]*$")]
# A request understood whose values cannot be taken (the constant's name changed in Starlette).
UNPROCESSABLE = 422


class PropertyStateOut(BaseModel):
    id: int
    entity_type: str
    resource_key: str
    property: str
    resource_type: str | None
    state: str = Field(description="unreconciled | questioned | postponed | protected | "
                                   "override")
    manual_value: Any = Field(description="The value a person set (the current value).")
    proposed_value: Any = Field(description="The value HR computes.")
    reason: str | None
    expires_at: Instant | None = Field(description="override: HR's value comes back then.")
    changed_by: str | None
    changed_at: Instant
    decided_by: str | None
    decided_at: Instant | None


class StatePage(BaseModel):
    total: int
    items: list[PropertyStateOut]


class EditIn(BaseModel):
    values: dict[str, Any] = Field(min_length=1, max_length=200,
                                   description="Property → new value (null empties it).")
    reason: Text = Field(min_length=1)
    expires_at: Instant | None = Field(
        None, description="Makes the edited computed values overrides until then.")


class EditOut(BaseModel):
    entity_type: str
    key: str
    run_id: int | None = Field(description="The run that wrote the change; null when no value "
                                           "changed.")
    changed: dict[str, list[Any]] = Field(description="Property → [before, after].")
    states: dict[str, str | None] = Field(
        description="Property → its state now (null: the value is the people's, or HR's).")
    discarded: list[str] = Field(
        description="Computed values that HR overwrites at its next run "
                    "(discard_manual_changes).")


class DecisionsIn(BaseModel):
    ids: list[Annotated[int, Field(ge=1, le=2_147_483_647)]] = Field(min_length=1,
                                                                      max_length=10_000)
    decision: Literal["approve", "decline", "postpone"]
    comment: Text = ""


class DecisionIn(BaseModel):
    decision: Literal["approve", "decline", "postpone"]
    comment: Text = ""


class DecisionOut(BaseModel):
    decided: list[int]
    run_ids: list[int] = Field(description="Runs that wrote approved values.")


def state_out(state: PropertyState) -> PropertyStateOut:
    return PropertyStateOut(
        id=state.id, entity_type=state.entity_type, resource_key=state.resource_key,
        property=state.property, resource_type=state.resource_type, state=state.state,
        manual_value=state.manual_value, proposed_value=state.proposed_value,
        reason=state.reason, expires_at=state.expires_at, changed_by=state.changed_by,
        changed_at=state.changed_at, decided_by=state.decided_by, decided_at=state.decided_at)


def filters(state: str, entity_type: str | None, resource_type: str | None) -> Filters:
    states = None if state == "all" else OPEN if state == "open" else \
        (state,) if state in STATES else OPEN
    return Filters(states, entity_type or None, resource_type or None)


def resource_of(state: AppState, resource_id: int) -> tuple[str, str]:
    """(entity type, key) of a resource by its id."""
    with state.engine.connect() as conn:
        row = conn.execute(sa.select(resources.c.entity_type, resources.c.key)
                           .where(resources.c.id == resource_id)).first()
    if row is None:
        raise NotFound(f"no resource {resource_id}")
    return str(row[0]), str(row[1])


def apply_edit(state: AppState, user: User, edit: ManualEdit) -> EditResult:
    """The edit, its refusals as 422 (the value, not the request, is wrong)."""
    try:
        return edit_resource(state.engine, state.project(), edit, user.name)
    except EditRefused as exc:
        raise HTTPException(UNPROCESSABLE, str(exc)) from exc


def take_decision(state: AppState, user: User, ids: list[int], decision: str,
                  comment: str) -> DecisionOut:
    try:
        result = decide(state.engine, state.project(), ids, decision, comment, user.name)
    except DecisionRefused as exc:
        raise HTTPException(UNPROCESSABLE, str(exc)) from exc
    return DecisionOut(decided=result.decided, run_ids=result.run_ids)


@router.patch("/resources/{resource_id}", response_model=EditOut,
              responses=responses(404, 422))
def edit(request: Request, user: Editor, resource_id: Id, body: EditIn) -> EditOut:
    """Change values of a Directory resource by hand (right `edit`; audited with the reason).
    A value HR computes becomes unreconciled — or, with `expires_at`, an override until then —
    and is listed on the Resource Reconciliation page; other values are the people's. Only
    scalar values: navigations are refused (422), as are values their type cannot hold."""
    state = app_state(request)
    entity_type, key = resource_of(state, resource_id)
    result = apply_edit(state, user, ManualEdit(entity_type, key, body.values, body.reason,
                                                body.expires_at))
    return EditOut(entity_type=entity_type, key=key, run_id=result.run_id,
                   changed={p: list(v) for p, v in result.changed.items()},
                   states=result.states, discarded=result.discarded)


@router.get("/reconciliation", response_model=StatePage, responses=responses(422))
def list_states(request: Request, user: Decider, state: StateFilter = "open",
                entity_type: Annotated[str | None, Query(max_length=128)] = None,
                resource_type: Annotated[str | None, Query(max_length=128)] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 50,
                offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> StatePage:
    """Values held against HR, oldest change first: `open` (default) lists those waiting for a
    decision (unreconciled, questioned); `all`, or one state."""
    with app_state(request).engine.connect() as conn:
        total, items = property_states.search(conn, filters(state, entity_type, resource_type),
                                              limit, offset)
    return StatePage(total=total, items=[state_out(s) for s in items])


@router.get("/reconciliation/{state_id}", response_model=PropertyStateOut,
            responses=responses(404, 422))
def get_state(request: Request, user: Decider, state_id: Id) -> PropertyStateOut:
    with app_state(request).engine.connect() as conn:
        found = property_states.by_ids(conn, [state_id])
    if not found:
        raise NotFound(f"no value to reconcile with id {state_id}")
    return state_out(found[0])


@router.post("/reconciliation/decisions", response_model=DecisionOut,
             responses=responses(404, 422))
def post_decisions(request: Request, user: Decider, body: DecisionsIn) -> DecisionOut:
    """One decision on several values, all or none (right `decide`; each audited):
    `approve` writes HR's proposed value and hands the property back to HR, `decline` keeps
    the manual value (protected: HR leaves it alone, a later HR change marks it questioned),
    `postpone` decides later."""
    return take_decision(app_state(request), user, body.ids, body.decision, body.comment)


@router.post("/reconciliation/{state_id}/decision", response_model=DecisionOut,
             responses=responses(404, 422))
def post_decision(request: Request, user: Decider, state_id: Id, body: DecisionIn
                  ) -> DecisionOut:
    """The decision on one value (see POST /api/reconciliation/decisions)."""
    return take_decision(app_state(request), user, [state_id], body.decision, body.comment)
