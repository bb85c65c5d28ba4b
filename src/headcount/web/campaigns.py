"""Review campaigns on the web (SPEC §10, §12): the Reviews menu — campaigns, the create form —,
a campaign's page with its progress bars (overall, per stage, per reviewer) and, for its owner,
the reviewer-quality signals; a reviewer's page with only their items, a page at a time, each
decided on its own or approved in bulk after a confirmation; and the REST API of the same. One
router: `/api/campaigns…` and `/reviews…`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError

from headcount.campaigns import decisions, lifecycle, quality, report, store
from headcount.campaigns.decisions import DecisionRefused, NotYours
from headcount.campaigns.lifecycle import CampaignRefused
from headcount.campaigns.spec import KINDS, CampaignSpec, Day, Options, Scope, ScopeError, Stage
from headcount.campaigns.store import Campaign, Item, Progress
from headcount.errors import HeadcountError, NotFound
from headcount.repository.users import User
from headcount.web.api.errors import GUARDED, responses
from headcount.web.api.models import Id
from headcount.web.api.timestamps import Instant
from headcount.web.auth import app_state, require
from headcount.web.rendering import render
from headcount.web.state import AppState

router = APIRouter()
api = APIRouter(prefix="/api/campaigns", tags=["campaigns"], responses=responses(*GUARDED))
pages = APIRouter(prefix="/reviews", include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]
Decider = Annotated[User, Depends(require("decide"))]
Admin = Annotated[User, Depends(require("admin"))]
PAGE_SIZE = 50
NoNul = r"^[^\x00]*$"
T = TypeVar("T")


class ProgressOut(BaseModel):
    total: int
    done: int = Field(description="Items no longer open.")
    percent: int


class CampaignOut(BaseModel):
    id: int
    kind: str = Field(description="hr-consistency | certification")
    name: str
    owner: str
    state: str = Field(description="draft | active | closed | signed-off")
    starts_on: Day
    ends_on: Day
    created_at: Instant
    scope: Scope
    stages: list[Stage]
    options: Options
    progress: ProgressOut


class CampaignDetail(CampaignOut):
    stage_progress: dict[int, ProgressOut] = Field(description="By stage (1 is the first).")
    reviewer_progress: dict[str, ProgressOut]


class Created(BaseModel):
    id: int
    items: int


class ItemOut(BaseModel):
    id: int
    subject_type: str
    subject_key: str
    subject: str | None
    finding: str = Field(description="access | no-hr-person | no-identity | mismatch")
    property: str | None
    details: dict[str, Any]
    stage: int
    reviewer: str
    state: str = Field(description="open | decided | final | closed")
    decision: str | None
    comment: str | None
    decided_by: str | None
    decided_at: Instant | None
    expires_on: Day | None
    applied: str | None


class ItemPage(BaseModel):
    total: int
    items: list[ItemOut]


class DecisionIn(BaseModel):
    items: list[int] = Field(min_length=1, max_length=1000)
    decision: str = Field(max_length=16, description="approve | decline | forward "
                                                     "(certification); take-hr | keep | "
                                                     "fix-in-hr | exception | forward "
                                                     "(HR consistency)")
    comment: str | None = Field(None, max_length=2000)
    to: str | None = Field(None, max_length=255, description="forward: a user, or role:NAME")
    expires_on: Day | None = Field(None, description="exception: until when")


class DecidedOut(BaseModel):
    decided: list[int]
    applied: dict[int, str]


class SignedOff(BaseModel):
    final: int = Field(description="Items made final.")


class Closed(BaseModel):
    undecided: int = Field(description="Items nobody decided: the default outcome, or closed.")


def _progress(p: Progress) -> ProgressOut:
    return ProgressOut(total=p.total, done=p.done, percent=p.percent)


def _item(i: Item) -> ItemOut:
    return ItemOut(id=i.id, subject_type=i.subject_type, subject_key=i.subject_key,
                   subject=i.label, finding=i.finding, property=i.property, details=i.details,
                   stage=i.stage + 1, reviewer=i.reviewer, state=i.state, decision=i.decision,
                   comment=i.comment, decided_by=i.decided_by, decided_at=i.decided_at,
                   expires_on=i.expires_on, applied=i.applied)


def _out(state: AppState, c: Campaign) -> CampaignDetail:
    with state.engine.connect() as conn:
        overall, stages, reviewers = store.progress(conn, c.id)
    return CampaignDetail(
        id=c.id, kind=c.kind, name=c.name, owner=c.owner, state=c.state,
        starts_on=c.starts_on, ends_on=c.ends_on, created_at=c.created_at, scope=c.scope,
        stages=c.stages, options=c.options, progress=_progress(overall),
        stage_progress={s + 1: _progress(p) for s, p in stages.items()},
        reviewer_progress={r: _progress(p) for r, p in reviewers.items()})


def _guarded(call: Callable[[], T]) -> T:
    """Refusals as HTTP statuses: unknown 404, not yours 403, refused by the state 409."""
    try:
        return call()
    except (NotFound, ScopeError) as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except NotYours as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
    except (DecisionRefused, CampaignRefused) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None


def _get(state: AppState, campaign_id: int) -> Campaign:
    with state.engine.connect() as conn:
        return _guarded(lambda: store.get(conn, campaign_id))


def _overseer(user: User, campaign: Campaign) -> bool:
    """The campaign's owner, or an administrator: who sees every item and the signals."""
    return user.name == campaign.owner or user.can("admin")


@api.get("", responses=responses(*GUARDED))
def list_campaigns(request: Request, user: Reader) -> list[CampaignOut]:
    """Every campaign, newest first, with its overall progress."""
    state = app_state(request)
    with state.engine.connect() as conn:
        found = store.listed(conn)
    return [_out(state, c) for c in found]


@api.post("", status_code=201, responses=responses(*GUARDED, 404, 409, 422))
def create_campaign(request: Request, user: Admin, body: CampaignSpec) -> Created:
    """Create a campaign and all its items at once (draft until its start date)."""
    state = app_state(request)
    campaign_id, count = _guarded(lambda: lifecycle.create(
        state.engine, state.project(), body, user.name))
    return Created(id=campaign_id, items=count)


@api.get("/{campaign_id}", responses=responses(*GUARDED, 404, 422))
def get_campaign(request: Request, user: Reader, campaign_id: Id) -> CampaignDetail:
    """A campaign with its progress: overall, per stage, per reviewer."""
    state = app_state(request)
    return _out(state, _get(state, campaign_id))


@api.get("/{campaign_id}/items", responses=responses(*GUARDED, 404, 422))
def my_items(request: Request, user: Reader, campaign_id: Id,
             item_state: Annotated[Literal["open", "decided", "final", "closed"] | None,
                                   Query(alias="state")] = None,
             limit: Annotated[int, Query(ge=1, le=500)] = 50,
             offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> ItemPage:
    """The caller's own items (as a user and through their role): nobody sees another
    reviewer's items here; the owner reads them all in the report."""
    state = app_state(request)
    _get(state, campaign_id)
    with state.engine.connect() as conn:
        total, items = store.items_of(conn, campaign_id, store.mine(user), item_state, limit,
                                      offset)
    return ItemPage(total=total, items=[_item(i) for i in items])


@api.post("/{campaign_id}/decisions", responses=responses(*GUARDED, 404, 409, 422))
def decide(request: Request, user: Decider, campaign_id: Id, body: DecisionIn) -> DecidedOut:
    """One decision on items of the caller's, all or none; each kept and audited."""
    state = app_state(request)
    done = _guarded(lambda: decisions.decide(
        state.engine, state.project(), campaign_id, body.items, body.decision, user,
        body.comment, body.to, body.expires_on))
    return DecidedOut(decided=done.decided, applied=done.applied)


@api.post("/{campaign_id}/sign-off", responses=responses(*GUARDED, 404, 409, 422))
def sign_off(request: Request, user: Decider, campaign_id: Id) -> SignedOff:
    """The caller is done: their decisions become final (refused while one is open)."""
    state = app_state(request)
    return SignedOff(final=_guarded(lambda: decisions.sign_off(
        state.engine, state.project(), campaign_id, user)))


@api.post("/{campaign_id}/close", responses=responses(*GUARDED, 404, 409, 422))
def close(request: Request, user: Reader, campaign_id: Id) -> Closed:
    """Close the campaign (its owner or an administrator): undecided items take the default
    outcome, declines kept for the close are applied."""
    state = app_state(request)
    campaign = _get(state, campaign_id)
    if not _overseer(user, campaign):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the campaign's owner or an "
                                                       "administrator closes it")
    return Closed(undecided=_guarded(lambda: lifecycle.close(
        state.engine, state.project(), campaign_id, user.name)))


@api.get("/{campaign_id}/report", response_class=Response,
         responses={**responses(*GUARDED, 404, 422), 200: {"content": {
             "text/csv": {}, "application/vnd.openxmlformats-officedocument."
                                          "spreadsheetml.sheet": {}},
             "description": "One line per item and decision."}})
def campaign_report(request: Request, user: Reader, campaign_id: Id,
                    format: Literal["csv", "xlsx"] = "csv") -> Response:
    """The report (its owner or an administrator): CSV or XLSX."""
    state = app_state(request)
    campaign = _get(state, campaign_id)
    if not _overseer(user, campaign):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the campaign's owner or an "
                                                       "administrator reads its report")
    name = f"campaign-{campaign_id}.{format}"
    with state.engine.connect() as conn:
        if format == "xlsx":
            return Response(report.as_xlsx(conn, campaign_id), headers={
                "Content-Disposition": f'attachment; filename="{name}"'},
                media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        return Response(report.as_csv(conn, campaign_id), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


@pages.get("", response_class=HTMLResponse)
def reviews_page(request: Request, user: Reader) -> Response:
    return _reviews(request, user, {})


def _reviews(request: Request, user: User, context: dict[str, Any], code: int = 200
             ) -> Response:
    state = app_state(request)
    with state.engine.connect() as conn:
        found = store.listed(conn)
        waiting = store.waiting(conn, user)
        progress = {c.id: store.progress(conn, c.id)[0] for c in found}
    return render(request, "reviews.html", {
        "campaigns": found, "progress": progress, "waiting": waiting, "kinds": KINDS,
        "today": datetime.now(UTC).date(), **context}, user, status_code=code)


@pages.post("/campaigns")
def create_page(request: Request, user: Admin,
                kind: Annotated[str, Form(max_length=32, pattern=NoNul)],
                name: Annotated[str, Form(max_length=255, pattern=NoNul)],
                starts_on: Annotated[str, Form(max_length=10, pattern=NoNul)],
                ends_on: Annotated[str, Form(max_length=10, pattern=NoNul)],
                entity_type: Annotated[str, Form(max_length=128, pattern=NoNul)] = "",
                filters: Annotated[str, Form(max_length=2000, pattern=NoNul)] = "",
                changed_since: Annotated[str, Form(max_length=10, pattern=NoNul)] = "",
                system: Annotated[str, Form(max_length=128, pattern=NoNul)] = "",
                reviewers: Annotated[str, Form(max_length=1000, pattern=NoNul)] = "",
                fallback: Annotated[str, Form(max_length=255, pattern=NoNul)] = "",
                default_outcome: Annotated[str, Form(max_length=16, pattern=NoNul)] = "none",
                apply_declines: Annotated[str, Form(max_length=16, pattern=NoNul)] = "at-close"
                ) -> Response:
    state = app_state(request)
    sent = {"kind": kind, "name": name, "starts_on": starts_on, "ends_on": ends_on,
            "entity_type": entity_type, "filters": filters, "changed_since": changed_since,
            "system": system, "reviewers": reviewers, "fallback": fallback,
            "default_outcome": default_outcome, "apply_declines": apply_declines}
    try:
        spec = _spec(sent, user)
        campaign_id, _ = lifecycle.create(state.engine, state.project(), spec, user.name)
    except ValidationError as exc:
        message = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                            for e in exc.errors()[:3])
        return _reviews(request, user, {"error": message, "sent": sent}, 422)
    except HeadcountError as exc:
        return _reviews(request, user, {"error": str(exc), "sent": sent}, 409)
    return RedirectResponse(f"/reviews/campaigns/{campaign_id}", status_code=303)


def _spec(sent: dict[str, str], user: User) -> CampaignSpec:
    """The create form as a campaign: one stage per reviewer rule, in order (`manager,
    user:ann`), the fallback on each; filters as `Property=pattern` lines or `;`."""
    filters = {}
    for part in sent["filters"].replace(";", "\n").splitlines():
        prop, sep, pattern = part.partition("=")
        if sep and prop.strip():
            filters[prop.strip()] = pattern.strip()
    rules = [r.strip() for r in sent["reviewers"].split(",") if r.strip()]
    values: dict[str, Any] = {
        "kind": sent["kind"], "name": sent["name"].strip(), "owner": user.name,
        "starts_on": sent["starts_on"], "ends_on": sent["ends_on"],
        "scope": {"entity_type": sent["entity_type"].strip() or "Directory_User",
                  "filters": filters, "changed_since": sent["changed_since"] or None,
                  "system": sent["system"].strip() or None},
        "options": {"default_outcome": sent["default_outcome"],
                    "apply_declines": sent["apply_declines"]}}
    if rules:
        values["stages"] = [{"name": f"Stage {n}", "reviewer": r,
                             "fallback": sent["fallback"].strip() or None}
                            for n, r in enumerate(rules, 1)]
    return CampaignSpec.model_validate(values)


@pages.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_page(request: Request, user: Reader, campaign_id: Id) -> Response:
    state = app_state(request)
    campaign = _get(state, campaign_id)
    with state.engine.connect() as conn:
        overall, stages, reviewers = store.progress(conn, campaign_id)
        signals = quality.signals(conn, campaign_id) if _overseer(user, campaign) else None
        signed = store.signed_off(conn, campaign_id)
        mine = store.items_of(conn, campaign_id, store.mine(user), limit=1)[0]
    return render(request, "campaign.html", {
        "c": campaign, "overall": overall, "stages": stages, "reviewers": reviewers,
        "signals": signals, "signed": signed, "mine": mine,
        "overseer": _overseer(user, campaign)}, user)


@pages.get("/campaigns/{campaign_id}/mine", response_class=HTMLResponse)
def reviewer_page(request: Request, user: Reader, campaign_id: Id,
                  page: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> Response:
    return _mine(request, user, campaign_id, page, {})


def _mine(request: Request, user: User, campaign_id: int, page: int, context: dict[str, Any],
          code: int = 200) -> Response:
    state = app_state(request)
    campaign = _get(state, campaign_id)
    names = store.mine(user)
    with state.engine.connect() as conn:
        total, waiting = store.counts_of(conn, campaign_id, names)
        items = store.items_of(conn, campaign_id, names, None, PAGE_SIZE,
                               (page - 1) * PAGE_SIZE, total)[1]
        signed = user.name in store.signed_off(conn, campaign_id)
    return render(request, "campaign_mine.html", {
        "c": campaign, "items": items, "total": total, "waiting": waiting, "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)), "signed": signed,
        "choices": decisions.DECISIONS[campaign.kind], **context}, user, status_code=code)


@pages.post("/campaigns/{campaign_id}/decision")
async def decide_page(request: Request, user: Decider, campaign_id: Id) -> Response:
    """One item's decision, or the ticked items approved once confirmed."""
    form = await request.form()
    ids = [int(str(v)) for v in form.getlist("ids") if str(v).isdigit()][:1000]
    decision = str(form.get("decision", ""))[:16]
    comment = str(form.get("comment", ""))[:2000].replace("\x00", "") or None
    to = str(form.get("to", ""))[:255].replace("\x00", "") or None
    expires = str(form.get("expires_on", ""))[:10]
    page = int(str(form.get("page", "1"))) if str(form.get("page", "1")).isdigit() else 1
    if form.get("bulk") and not form.get("confirmed"):
        # Many approvals at once: said back first, decided only once confirmed.
        return _mine(request, user, campaign_id, page, {"confirm": ids, "comment": comment})
    state = app_state(request)
    try:
        expires_on = date.fromisoformat(expires) if expires else None
        done = decisions.decide(state.engine, state.project(), campaign_id, ids, decision,
                                user, comment, to, expires_on)
    except (HeadcountError, ValueError) as exc:
        code = 403 if isinstance(exc, NotYours) else 404 if isinstance(exc, NotFound) \
            else 409
        return _mine(request, user, campaign_id, page, {"error": str(exc)}, code)
    return _mine(request, user, campaign_id, page, {"done": done, "decision": decision})


@pages.post("/campaigns/{campaign_id}/sign-off")
def sign_off_page(request: Request, user: Decider, campaign_id: Id) -> Response:
    state = app_state(request)
    try:
        final = decisions.sign_off(state.engine, state.project(), campaign_id, user)
    except HeadcountError as exc:
        return _mine(request, user, campaign_id, 1, {"error": str(exc)}, 409)
    return _mine(request, user, campaign_id, 1, {"signed_now": final})


@pages.post("/campaigns/{campaign_id}/close")
def close_page(request: Request, user: Reader, campaign_id: Id) -> Response:
    close(request, user, campaign_id)
    return RedirectResponse(f"/reviews/campaigns/{campaign_id}", status_code=303)


@pages.get("/campaigns/{campaign_id}/report.{format}")
def report_page(request: Request, user: Reader, campaign_id: Id,
                format: Literal["csv", "xlsx"]) -> Response:
    return campaign_report(request, user, campaign_id, format)


router.include_router(api)
router.include_router(pages)
