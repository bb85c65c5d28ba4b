"""The correlation case pages (SPEC §6.1, §12): the list, filtered by state, and one case — the
source beside its candidates, matching values highlighted, and the decision: link to a candidate
or create a new identity, with a comment. The same code as the API decides."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from headcount.repository.users import User
from headcount.web.api.cases import case_page, comparison, take_decision
from headcount.web.api.models import Id
from headcount.web.auth import app_state, require
from headcount.web.rendering import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]
Decider = Annotated[User, Depends(require("decide"))]
PAGE_SIZE = 50


@router.get("/correlation-cases", response_class=HTMLResponse)
def cases_page(request: Request, user: Reader,
               state: Annotated[Literal["open", "resolved"], Query()] = "open",
               page: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> Response:
    total, items = case_page(app_state(request), state, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    return render(request, "cases.html", {
        "cases": items, "total": total, "state": state, "page": page,
        "pages": max(1, -(-total // PAGE_SIZE))}, user)


@router.get("/correlation-cases/{case_id}", response_class=HTMLResponse)
def case_detail(request: Request, user: Reader, case_id: Id,
                run: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
                waiting: bool = False) -> Response:
    state = app_state(request)
    found = comparison(state, case_id)
    # A case of an owner resource type names an account's owner (headcount.accounts).
    owner_case = any(rt.owner and rt.identifier == found.case.resource_type
                     for rt in state.project().resource_types)
    return render(request, "case.html", {"c": found, "run": run, "waiting": waiting,
                                         "owner_case": owner_case}, user)


@router.post("/correlation-cases/{case_id}/decision")
def decide_case(request: Request, user: Decider, case_id: Id,
                decision: Annotated[Literal["link", "new", ""], Form()] = "",
                target: Annotated[str, Form(max_length=1000, pattern=r"^[^\x00]*$")] = "",
                comment: Annotated[str, Form(max_length=2000, pattern=r"^[^\x00]*$")] = ""
                ) -> Response:
    # One form, one comment: each candidate's button sends its key as `target` (a link), the
    # other button sends `decision=new`.
    if not decision and not target:
        raise HTTPException(422, "choose a candidate to link to, or a new identity")
    chosen = decision or "link"
    outcome = take_decision(app_state(request), user, case_id, chosen,
                            target if chosen == "link" else None, comment)
    after = f"?run={outcome.run.id}" if outcome.run else "?waiting=true"
    return RedirectResponse(f"/correlation-cases/{case_id}{after}", status_code=303)
