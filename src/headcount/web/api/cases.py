"""Correlation cases (SPEC §6.1): the sources matched only below confidence 100, each beside
its candidate targets, and the decision a person takes — link to a candidate, or a new target."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from headcount.jobs.decisions import Outcome, decide
from headcount.policy import cases
from headcount.policy.cases import Case, CaseDecided, NotACandidate
from headcount.policy.comparison import Comparison, Side, compare, source_names
from headcount.project import ProjectContext
from headcount.repository.users import User
from headcount.web.api.errors import GUARDED, responses
from headcount.web.api.models import Id
from headcount.web.api.timestamps import Instant
from headcount.web.auth import app_state, require
from headcount.web.state import AppState

router = APIRouter(tags=["correlation cases"], responses=responses(*GUARDED))
Reader = Annotated[User, Depends(require("read"))]
Decider = Annotated[User, Depends(require("decide"))]


class CaseOut(BaseModel):
    id: int
    resource_type: str
    source_key: str
    source_display_name: str | None = None
    candidates: list[str]
    confidence: int
    state: str = Field(description="open | resolved")
    run_id: int = Field(description="The run that opened the case.")
    created_at: Instant
    decision: str | None = Field(description="link | new, once resolved")
    decided_target: str | None
    decided_by: str | None
    decided_at: Instant | None
    comment: str | None


class CasePage(BaseModel):
    total: int
    items: list[CaseOut]


class ResourceSide(BaseModel):
    entity_type: str
    key: str
    exists: bool
    display_name: str
    values: dict[str, Any]


class BindingOut(BaseModel):
    source: str
    target: str
    source_value: Any
    target_value: Any
    matched: bool = Field(description="Equal once normalised, and not empty.")


class RuleOut(BaseModel):
    confidence: int
    matched: bool
    bindings: list[BindingOut]


class CandidateOut(BaseModel):
    resource: ResourceSide
    rules: list[RuleOut]
    matched_properties: list[str] = Field(description="Target bindings that matched.")
    score: int = Field(description="The highest confidence of the rules it matches whole.")


class MappedOut(BaseModel):
    target: str
    rule: str
    proposed: Any = Field(description="What the rule would write from the source.")
    current: list[Any] = Field(description="What each candidate holds, in candidate order.")
    same: list[bool]


class CaseDetailOut(BaseModel):
    case: CaseOut
    source: ResourceSide
    candidates: list[CandidateOut]
    mapped: list[MappedOut]


class DecisionIn(BaseModel):
    decision: Literal["link", "new"]
    target: str | None = Field(None, max_length=1000, pattern=r"^[^\x00]*$",
                               description="link only: one of the case's candidates.")
    comment: str = Field("", max_length=2000, pattern=r"^[^\x00]*$")


class DecisionOut(BaseModel):
    case: CaseOut
    run_id: int | None = Field(description="The evaluation that applied the decision; null "
                                           "when a run was in progress (the next run applies "
                                           "it).")
    message: str


def case_out(case: Case, name: str | None = None) -> CaseOut:
    return CaseOut(id=case.id, resource_type=case.resource_type, source_key=case.source_key,
                   source_display_name=name or None, candidates=list(case.candidates),
                   confidence=case.confidence, state=case.state,
                   run_id=case.run_id, created_at=case.created_at, decision=case.decision,
                   decided_target=case.decided_target, decided_by=case.decided_by,
                   decided_at=case.decided_at, comment=case.comment)


def _side(side: Side) -> ResourceSide:
    return ResourceSide(entity_type=side.entity_type, key=side.key, exists=side.exists,
                        display_name=side.display_name, values=side.values)


def detail_out(found: Comparison) -> CaseDetailOut:
    return CaseDetailOut(
        case=case_out(found.case, found.source.display_name), source=_side(found.source),
        candidates=[CandidateOut(
            resource=_side(c.side), matched_properties=sorted(c.matched_properties),
            score=c.score,
            rules=[RuleOut(confidence=r.confidence, matched=r.matched, bindings=[
                BindingOut(source=b.source, target=b.target, source_value=b.source_value,
                           target_value=b.target_value, matched=b.matched)
                for b in r.bindings]) for r in c.rules]) for c in found.candidates],
        mapped=[MappedOut(target=m.target, rule=m.rule, proposed=m.proposed,
                          current=list(m.current), same=list(m.same)) for m in found.mapped])


def case_page(state: AppState, which: str | None, limit: int, offset: int
              ) -> tuple[int, list[CaseOut]]:
    with state.engine.connect() as conn:
        total, page = cases.list_cases(conn, which, limit, offset)
        names = source_names(conn, state.project(), page)
    return total, [case_out(c, names.get(c.id)) for c in page]


def comparison(state: AppState, case_id: int) -> Comparison:
    project = state.project()
    with state.engine.connect() as conn:
        return compare(conn, project, cases.get_case(conn, case_id))


def take_decision(state: AppState, user: User, case_id: int, decision: str,
                  target: str | None, comment: str) -> Outcome:
    """The decision, with the HTTP status its refusals deserve: decided twice 409, a target
    that is not a candidate 422."""
    try:
        return decide(ProjectContext(state.project_dir, state.engine), case_id, decision,
                      target or None, comment, user.name)
    except CaseDecided as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except NotACandidate as exc:
        raise HTTPException(422, str(exc)) from exc


@router.get("/correlation-cases", response_model=CasePage, responses=responses(422))
def list_cases(request: Request, user: Reader,
               state: Annotated[Literal["open", "resolved"] | None, Query()] = "open",
               limit: Annotated[int, Query(ge=1, le=500)] = 50,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> CasePage:
    """Correlation cases in a state (default: open), oldest first, paged."""
    total, items = case_page(app_state(request), state, limit, offset)
    return CasePage(total=total, items=items)


@router.get("/correlation-cases/{case_id}", response_model=CaseDetailOut,
            responses=responses(404, 422))
def get_case(request: Request, user: Reader, case_id: Id) -> CaseDetailOut:
    """A case: the source's values, each candidate's values, which correlation bindings
    matched, and what the scalar rules would write beside what each candidate holds."""
    return detail_out(comparison(app_state(request), case_id))


@router.post("/correlation-cases/{case_id}/decision", response_model=DecisionOut,
             responses=responses(404, 409, 422))
def post_decision(request: Request, user: Decider, case_id: Id, body: DecisionIn
                  ) -> DecisionOut:
    """Decide an open case (right `decide`; audited): `link` — the source owns `target`, one
    of the candidates, from now on; `new` — the source gets a new target. The policy of the
    source's connector is evaluated at once, or at its next run when one is in progress."""
    outcome = take_decision(app_state(request), user, case_id, body.decision, body.target,
                            body.comment)
    return DecisionOut(case=case_out(outcome.case), message=outcome.message,
                       run_id=outcome.run.id if outcome.run else None)
