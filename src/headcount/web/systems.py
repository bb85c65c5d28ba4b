"""The review page of a managed system (SPEC §10, §12): its counts per category, how fresh the
signal is, the accounts of a category with search, filters and paging, the CSV exports, and
decisions on the checked accounts. The same code as the API decides."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from headcount.accounts import deprovision, owners, review
from headcount.repository.names import display_names
from headcount.repository.users import User
from headcount.web.api.systems import DecisionIn, account_page, managed, take_decision
from headcount.web.auth import app_state, require
from headcount.web.i18n import gettext as _
from headcount.web.rendering import render
from headcount.web.state import AppState

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]
Decider = Annotated[User, Depends(require("decide"))]
PAGE_SIZE = 50
Category = Literal["orphan", "unused", "owner-left", "service"]
Text = Annotated[str, Form(max_length=2000, pattern=r"^[^\x00]*$")]


def labels() -> dict[str, str]:
    """The categories' names, in the request's language."""
    return {"orphan": _("Orphans"), "unused": _("Unused"), "owner-left": _("Owner left"),
            "service": _("Service accounts")}


@router.get("/systems/{identifier}", response_class=HTMLResponse)
def system_page(request: Request, user: Reader, identifier: str,
                category: Category = "orphan",
                q: Annotated[str, Query(max_length=200, pattern=r"^[^\x00]*$")] = "",
                suggested: bool = False, pending: bool = False,
                page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
                done: Annotated[str, Query(max_length=300)] = "") -> Response:
    state = app_state(request)
    system = managed(state, identifier)
    found = account_page(state, identifier, category, q, suggested, pending, PAGE_SIZE,
                         (page - 1) * PAGE_SIZE)
    with state.engine.connect() as conn:
        # Owners and suggested owners by name: one lookup for the page.
        owner_names = display_names(conn, state.project(), [
            (owners.OWNER_TYPE, k) for a in found.items
            for k in (a.owner, a.suggested_owner) if k])
    filters = {"category": category, "q": q, "suggested": "true" if suggested else "",
               "pending": "true" if pending else ""}
    return render(request, "system.html", {
        "system": system, "found": found, "category": category, "labels": labels(), "q": q,
        "suggested": suggested, "pending": pending, "page": page, "done": done,
        "owner_names": {k: n for (_, k), n in owner_names.items()},
        "pages": max(1, -(-found.total // PAGE_SIZE)),
        "query": urlencode({k: v for k, v in filters.items() if v})}, user)


@router.post("/systems/{identifier}/decisions")
def decide_page(request: Request, user: Decider, identifier: str,
                decision: Annotated[Literal["owner", "accept", "service", "disable", "delete",
                                            "postpone", "undo"], Form()],
                accounts: Annotated[list[Annotated[str, Field(max_length=1000,
                                                              pattern=r"^[^\x00]*$")]] | None,
                                    Form()] = None,
                owner: Text = "", responsible: Text = "",
                until: Annotated[str, Form(max_length=10)] = "", comment: Text = "",
                query: Annotated[str, Form(max_length=1000)] = "") -> Response:
    if not accounts:
        raise HTTPException(422, "tick at least one account to decide on")
    try:
        day = date.fromisoformat(until) if until else None
    except ValueError as exc:
        raise HTTPException(422, "a date as YYYY-MM-DD") from exc
    outcome = take_decision(app_state(request), user, identifier, DecisionIn(
        decision=decision, accounts=accounts, owner=owner or None,
        responsible=responsible or None, until=day, comment=comment))
    back = f"{query}&" if query else ""
    return RedirectResponse(f"/systems/{identifier}?{back}{urlencode({'done': outcome.message})}",
                            status_code=303)


def account_sections(state: AppState, entity_type: str, key: str) -> dict[str, object]:
    """What the resource and identity pages show of the review: for an account, its owner and
    the decisions on it, per system; for an identity, its accounts, per system."""
    project = state.project()
    systems = [m for m in project.managed_systems if m.accounts.lower() == entity_type.lower()]
    out: dict[str, object] = {"account_reviews": [], "owned_accounts": []}
    now = datetime.now(UTC)
    with state.engine.connect() as conn:
        reviews = [(m, row, deprovision.history(conn, m.identifier, key)) for m in systems
                   if (row := review.account(conn, m, key, now)) is not None]
        out["account_reviews"] = reviews
        named = display_names(conn, project, [
            (owners.OWNER_TYPE, k) for _, row, decided in reviews
            for k in (row.owner_key, row.suggestion_key, *(d["owner_key"] for d in decided))
            if isinstance(k, str) and k])
        out["owner_names"] = {k: n for (_, k), n in named.items()}
        if entity_type.lower() == owners.OWNER_TYPE.lower():
            labels = {m.identifier: m for m in project.managed_systems}
            out["owned_accounts"] = [(labels[s], k, d) for s, k, d in
                                     review.accounts_of(conn, key) if s in labels]
    return out
