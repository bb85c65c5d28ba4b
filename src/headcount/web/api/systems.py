"""Managed systems' accounts (SPEC §10): the review's counts and accounts per category, the
decisions on one or many accounts (right `decide`, audited), owners imported from CSV, and the
CSV exports — the accounts, and the deprovisioning orders for the directory team."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from headcount.accounts import decisions, deprovision, owners, review
from headcount.accounts.decisions import InvalidDecision
from headcount.accounts.deprovision import CannotUndo
from headcount.accounts.owners import UnknownKeys
from headcount.config.managed_system import ManagedSystem
from headcount.repository.database import begin_write
from headcount.repository.users import User
from headcount.web.api.errors import GUARDED, responses
from headcount.web.api.timestamps import Instant
from headcount.web.auth import app_state, require
from headcount.web.state import AppState

router = APIRouter(tags=["managed systems"], responses=responses(*GUARDED))
Reader = Annotated[User, Depends(require("read"))]
Decider = Annotated[User, Depends(require("decide"))]
CategoryParam = Literal["orphan", "unused", "owner-left", "service"]
Key = Annotated[str, Field(min_length=1, max_length=1000, pattern=r"^[^\x00]*$")]
T = TypeVar("T")
MAX_IMPORT = 5_000_000  # bytes of an owners CSV


class CountsOut(BaseModel):
    accounts: int
    orphan: int
    orphan_suggested: int = Field(description="Orphans with a suggested owner.")
    unused: int
    owner_left: int
    service: int


class FreshnessOut(BaseModel):
    last_read: Instant | None = Field(description="When the connector last read the accounts.")
    last_run: int | None
    last_logon_lag_days: int = Field(description="How old a last logon may be although the "
                                                 "account was used (replication lag).")
    unused_after_days: int


class SystemOut(BaseModel):
    identifier: str
    display_name: str
    connector: str
    accounts: str = Field(description="The entity type of the accounts.")
    counts: CountsOut


class AccountOut(BaseModel):
    key: str
    display_name: str
    categories: list[str] = Field(description="orphan, unused, owner-left, service")
    owner: str | None = Field(description="The owner's Directory_User key.")
    owner_by: str | None = Field(description="rule | case | decision")
    owner_state: str | None
    suggested_owner: str | None
    suggestion_score: int | None
    suggestion_why: str | None = Field(description="The rule and the values that matched.")
    service: bool
    service_responsible: str | None
    service_until: date | None
    disabled: bool
    last_logon: str | None
    created: str | None
    postponed_until: date | None
    order_id: int | None = Field(description="The open deprovisioning order.")
    order_action: str | None
    delete_on: date | None


class AccountPage(BaseModel):
    system: str
    counts: CountsOut
    freshness: FreshnessOut
    total: int = Field(description="Accounts the filters keep.")
    items: list[AccountOut]


class DecisionIn(BaseModel):
    decision: Literal["owner", "accept", "service", "disable", "delete", "postpone", "undo"]
    accounts: list[Key] = Field(min_length=1, max_length=100_000)
    owner: Key | None = Field(None, description="owner: the identity.")
    responsible: Annotated[str, Field(max_length=255, pattern=r"^[^\x00]*$")] | None = Field(
        None, description="service: the person responsible.")
    until: date | None = Field(None, description="service, postpone: until this day.")
    comment: str = Field("", max_length=2000, pattern=r"^[^\x00]*$")


class DecisionOut(BaseModel):
    decision: str
    accounts: int
    orders: dict[str, int] = Field(description="Account → its deprovisioning order.")
    message: str


class ImportOut(BaseModel):
    assigned: int


def counts_out(counts: review.Counts) -> CountsOut:
    return CountsOut(accounts=counts.accounts, orphan=counts.orphan,
                     orphan_suggested=counts.orphan_suggested, unused=counts.unused,
                     owner_left=counts.owner_left, service=counts.service)


def account_out(a: review.AccountRow) -> AccountOut:
    return AccountOut(
        key=a.key, display_name=a.display, categories=list(a.categories), owner=a.owner_key,
        owner_by=a.owner_by, owner_state=a.owner_state, suggested_owner=a.suggestion_key,
        suggestion_score=a.suggestion_score, suggestion_why=a.suggestion_why,
        service=a.service, service_responsible=a.service_responsible,
        service_until=_day(a.service_until), disabled=a.disabled, last_logon=a.last_logon,
        created=a.created, postponed_until=_day(a.postponed_until), order_id=a.order_id,
        order_action=a.order_action, delete_on=_day(a.delete_on))


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def managed(state: AppState, identifier: str) -> ManagedSystem:
    return owners.system_of(state.project(), identifier)


def refused(action: Callable[[], T]) -> T:
    """The decision, with the HTTP status its refusals deserve: an unknown account or a
    decision without what it needs 422, an order past its grace period 409."""
    try:
        return action()
    except (UnknownKeys, InvalidDecision) as exc:
        raise HTTPException(422, str(exc)) from exc
    except CannotUndo as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc


def account_page(state: AppState, identifier: str, category: str | None, q: str,
                 suggested: bool, pending: bool, limit: int, offset: int) -> AccountPage:
    system = managed(state, identifier)
    now = datetime.now(UTC)
    with state.engine.connect() as conn:
        counts = review.counts(conn, system, now)
        fresh = review.freshness(conn, system)
        total, rows = review.page(conn, system, now, category, q, suggested, pending, limit,
                                  offset)
    return AccountPage(system=system.identifier, counts=counts_out(counts),
                       freshness=FreshnessOut(last_read=fresh.last_read, last_run=fresh.last_run,
                                              last_logon_lag_days=fresh.lag_days,
                                              unused_after_days=fresh.unused_after_days),
                       total=total, items=[account_out(r) for r in rows])


def take_decision(state: AppState, user: User, identifier: str, body: DecisionIn
                  ) -> decisions.Outcome:
    project = state.project()

    def decide() -> decisions.Outcome:
        with begin_write(state.engine) as conn:
            return decisions.decide(conn, project, identifier, body.accounts, body.decision,
                                    user.name, body.comment or None, body.owner,
                                    body.responsible, body.until)
    return refused(decide)


def accounts_csv(state: AppState, identifier: str, category: str | None, q: str,
                 suggested: bool, pending: bool) -> Response:
    system = managed(state, identifier)
    with state.engine.connect() as conn:
        _, rows = review.page(conn, system, datetime.now(UTC), category, q, suggested, pending,
                              None)
    out = io.StringIO()
    review.write_csv(out, rows)
    name = f"{system.identifier}-{category or 'accounts'}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def orders_csv(state: AppState, identifier: str) -> Response:
    system = managed(state, identifier)
    out = io.StringIO()
    with state.engine.connect() as conn:
        deprovision.export(conn, system, out)
    name = f"{system.identifier}-deprovisioning.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


Search = Annotated[str, Query(max_length=200, pattern=r"^[^\x00]*$")]


@router.get("/systems", response_model=list[SystemOut])
def list_systems(request: Request, user: Reader) -> list[SystemOut]:
    """The managed systems, each with the counts of its review."""
    state = app_state(request)
    now = datetime.now(UTC)
    out = []
    with state.engine.connect() as conn:
        for system in state.project().managed_systems:
            out.append(SystemOut(identifier=system.identifier, display_name=system.label,
                                 connector=system.connector, accounts=system.accounts,
                                 counts=counts_out(review.counts(conn, system, now))))
    return out


@router.get("/systems/{identifier}/accounts", response_model=AccountPage,
            responses=responses(404, 422))
def get_accounts(request: Request, user: Reader, identifier: str,
                 category: CategoryParam | None = None, q: Search = "",
                 suggested: bool = False, pending: bool = False,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 50,
                 offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> AccountPage:
    """The counts of a system's review, how fresh they are, and one page of its accounts (of
    a category: orphan — no owner, no service account —, unused, owner-left, service), in key
    order. `suggested`: only those with a suggested owner; `pending`: only undecided ones."""
    return account_page(app_state(request), identifier, category, q, suggested, pending,
                        limit, offset)


@router.get("/systems/{identifier}/accounts.csv", response_class=Response,
            responses={**responses(404, 422), 200: {"content": {"text/csv": {}}}})
def get_accounts_csv(request: Request, user: Reader, identifier: str,
                     category: CategoryParam | None = None, q: Search = "",
                     suggested: bool = False, pending: bool = False) -> Response:
    """Every account the filters keep, as CSV (formulas neutralised)."""
    return accounts_csv(app_state(request), identifier, category, q, suggested, pending)


@router.post("/systems/{identifier}/decisions", response_model=DecisionOut,
             responses=responses(404, 409, 422))
def post_decision(request: Request, user: Decider, identifier: str, body: DecisionIn
                  ) -> DecisionOut:
    """One decision on one or many accounts (audited, kept with each account): `owner` (with
    `owner`), `accept` the suggested owners, `service` (with `responsible` and `until`),
    `disable`, `delete` (staged: disabled now, deleted after the grace period), `postpone`
    (with `until`), `undo` an open order within its grace period."""
    outcome = take_decision(app_state(request), user, identifier, body)
    return DecisionOut(decision=outcome.decision, accounts=outcome.accounts,
                       orders=outcome.orders, message=outcome.message)


@router.post("/systems/{identifier}/owners", response_model=ImportOut,
             responses=responses(404, 422),
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {
                 "type": "string"}}}, "required": True}})
async def post_owners(request: Request, user: Decider, identifier: str) -> ImportOut:
    """Owners of many accounts from a CSV body with a header and two columns, account key and
    owner key (an identity): every key checked first, all or nothing."""
    body = await request.body()
    if len(body) > MAX_IMPORT:
        raise HTTPException(422, "at most 5 MB of CSV")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HTTPException(422, "the CSV is not UTF-8") from exc
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    pairs = {r[0].strip(): r[1].strip() for r in rows[1:] if len(r) >= 2}
    state = app_state(request)
    project = state.project()
    system = owners.system_of(project, identifier)

    def assign() -> int:
        with begin_write(state.engine) as conn:
            return owners.assign(conn, project, system, pairs, user.name, "imported")
    return ImportOut(assigned=refused(assign))


@router.get("/systems/{identifier}/deprovisioning.csv", response_class=Response,
            responses={**responses(404, 422), 200: {"content": {"text/csv": {}}}})
def get_orders_csv(request: Request, user: Reader, identifier: str) -> Response:
    """The open deprovisioning orders for the directory team: each account's step — disable
    now, or delete once the grace period is over — with its dn."""
    return orders_csv(app_state(request), identifier)
