"""The correlation case pages (SPEC §6.1, §12): the list, filtered by state, and one case — the
source beside its candidates, matching values highlighted, and the decision: link to a candidate
or create a new identity, with a comment. The same code as the API decides."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from headcount.repository.users import User
from headcount.web import i18n, tables
from headcount.web.api.cases import CaseOut, case_page, comparison, take_decision
from headcount.web.api.models import Id
from headcount.web.auth import app_state, require
from headcount.web.export import export_response
from headcount.web.i18n import format_number, ngettext
from headcount.web.i18n import gettext as _
from headcount.web.rendering import language_of, render
from headcount.web.tables import Column, Kind, Table

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]
Decider = Annotated[User, Depends(require("decide"))]


@router.get("/correlation-cases", response_class=HTMLResponse)
def cases_page(request: Request, user: Reader,
               state: Annotated[Literal["open", "resolved"], Query()] = "open") -> Response:
    app = app_state(request)
    language, zone = language_of(request, user)
    with i18n.use_locale(language, zone):
        columns = case_columns(state)
    query = tables.parse(request.query_params.multi_items(), columns, sort="id",
                         keep=("state",))

    def fetch(limit: int, offset: int) -> tuple[int, list[CaseOut]]:
        return case_page(app, state, limit, offset)

    total, items = tables.window(query, "id", fetch, _case_value)
    if query.export:
        with i18n.use_locale(language, zone):
            headers = [*(c.label for c in columns), _("Source key"), _("Run")]
            title = _("Correlation cases")
        return export_response(title, headers, (
            [*(_case_value(c, column.name) for column in columns), c.source_key, c.run_id]
            for c in items), query.export)
    return render(request, "cases.html", {
        "cases": items, "total": total, "state": state,
        "table": Table(columns, query, total, _counted)}, user)


def case_columns(state: str) -> list[Column]:
    columns = [Column("id", _("Case"), filterable=False),
               Column("source", _("Source"), filterable=False),
               Column("resource_type", _("Resource type"), filterable=False),
               Column("candidates", _("Candidates"), sortable=False, filterable=False),
               Column("confidence", _("Confidence"), filterable=False),
               Column("created_at", _("Opened"), Kind.DATE, filterable=False)]
    if state == "resolved":
        columns.append(Column("decision", _("Decision"), filterable=False))
    return columns


def _case_value(case: CaseOut, column: str) -> object:
    if column == "source":
        return case.source_display_name or case.source_key
    if column == "candidates":
        return ", ".join(case.candidates)
    if column == "decision":
        return (f"{case.decision} {case.decided_target or ''} ({case.decided_by})"
                if case.decision else None)
    return getattr(case, column, None)


def _counted(n: int) -> str:
    return ngettext("%(count)s case", "%(count)s cases", n, count=format_number(n))


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
