"""The web application: `create_app` builds it for a project (SPEC §12, §13)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import exc as sa_exc
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from headcount import __version__
from headcount.errors import HeadcountError, NotFound, RunRefused, outside_failures, user_error
from headcount.project import ProjectContext
from headcount.repository.database import database_url
from headcount.repository.users import User
from headcount.web import (
    agent_api,
    audit,
    campaigns,
    cases,
    home,
    identities,
    jobs,
    login,
    profile,
    provenance,
    push_api,
    reconciliation,
    scim_api,
    scim_inbound_api,
    search,
    sso,
    systems,
    tasks,
    upload,
    users,
    workflows,
)
from headcount.web import agents as agent_pages
from headcount.web import resources as resource_pages
from headcount.web import runs as run_pages
from headcount.web.api import access, catalog, runs
from headcount.web.api import cases as api_cases
from headcount.web.api import errors as api_errors
from headcount.web.api import identities as api_identities
from headcount.web.api import provenance as api_provenance
from headcount.web.api import reconciliation as api_reconciliation
from headcount.web.api import search as api_search
from headcount.web.api import systems as api_systems
from headcount.web.api import tasks as api_tasks
from headcount.web.auth import LoginRequired, current_user
from headcount.web.bodylimit import BodyLimit
from headcount.web.headers import SecurityHeaders
from headcount.web.launcher import Launcher
from headcount.web.listing import ListCache
from headcount.web.rendering import TEMPLATES, render
from headcount.web.state import AppState
from headcount.workflows.engine import NotAllowed

STATIC = Path(__file__).parent / "static"


class _NoNul:
    """ASGI middleware: no HR value, name or key holds a NUL, and PostgreSQL cannot store one:
    refuse it at the door rather than deep in a query. Plain ASGI (not `@app.middleware`,
    whose task and streams cost each request a millisecond: pushed records come by the
    thousand)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            url = URL(scope=scope)
            if "%00" in url.path or "%00" in url.query or "\x00" in url.path:
                await JSONResponse(api_errors.error_body("NUL characters are not accepted"),
                                   status_code=400)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(project_dir: Path, url: str | None = None, drain: bool = True) -> FastAPI:
    """The app; with `drain`, it carries out the job runs it queues itself (no worker runs
    beside it); `headcount serve` embeds a worker instead, or serves only (`--no-worker`)."""
    url = url or database_url(project_dir)
    ctx = ProjectContext.open(project_dir, url)
    app = FastAPI(title="headcount", version=__version__,
                  description="The REST API of headcount, an open-source identity manager. "
                              "Authenticate with `Authorization: Bearer hc_…` (an API token).",
                  docs_url=None, openapi_url=None, redoc_url=None)
    lists = ListCache(ctx.engine)
    state = AppState(ctx.directory, url, ctx.engine, Launcher(ctx, url), lists)
    # After a run, the lists it changed are rebuilt at once, not on the next visit.
    state.launcher.finished = lambda: _warm_lists(state)
    state.launcher.drain_here(drain)
    app.state.headcount = state

    # The app's engine is disposed of when it closes (tests, scripts). The job run under way in
    # this process and the threads it started then end, and the connections they give back go
    # to the pool the engine had — already replaced — or to its new one: both are closed
    # again, else they would close with the garbage.
    pools = [ctx.engine.pool]

    def closing(engine: sa.Engine) -> None:
        state.launcher.close()
        for pool in (*pools, engine.pool):
            pool.dispose()
        pools[:] = [engine.pool]

    sa.event.listen(ctx.engine, "engine_disposed", closing)
    # Pushed HR records (docs/push.md), machines only: first, as a request walks the routes in
    # order and pushes come by the thousand (their paths are no other route's).
    app.include_router(push_api.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # Inside the security headers, so that its refusals carry them too.
    app.add_middleware(BodyLimit, engine=lambda: ctx.engine)
    app.add_middleware(SecurityHeaders)
    _warm_lists(state)
    for module in (catalog, runs, access):
        app.include_router(module.router, prefix="/api")
    # The pages (SPEC §12), one module each.
    for pages in (login, home, resource_pages, run_pages, audit, users):
        app.include_router(pages.router)
    # Correlation cases, identities, per-value provenance and the search: API, then pages.
    for api in (api_cases, api_identities, api_provenance, api_search):
        app.include_router(api.router, prefix="/api")
    for pages in (cases, identities, provenance, search):
        app.include_router(pages.router)
    # Manual edits and the Resource Reconciliation (SPEC §6.4): API, then pages.
    app.include_router(api_reconciliation.router, prefix="/api")
    app.include_router(reconciliation.router)
    # My Tasks (SPEC §7.3): the workflow tasks people act on — API, then pages.
    app.include_router(api_tasks.router, prefix="/api")
    app.include_router(tasks.router)
    app.include_router(workflows.router)
    for accounts in (api_systems.router, systems.router):  # managed systems' accounts
        app.include_router(accounts, prefix="/api" if accounts is api_systems.router else "")
    app.include_router(campaigns.router)  # Reviews (SPEC §10): the campaigns' API and pages
    app.include_router(upload.router)  # Manual upload (SPEC §9): its API and pages
    # Jobs (docs/jobs.md): schedules, job runs, connectors' activity — API, then pages.
    app.include_router(jobs.api, prefix="/api")
    app.include_router(jobs.router)
    app.include_router(profile.router)  # Each user's own password and preferences
    app.include_router(agent_api.router)  # Remote agents (docs/agent.md): service tokens only
    app.include_router(agent_pages.router)  # …and their page
    sso.install(app)  # Single sign-on (docs/sso.md): its pages and its round trip's cookie
    # The inbound SCIM service of each pushed connector (docs/scim.md), before the view's mount.
    app.mount(scim_inbound_api.PREFIX, scim_inbound_api.application(ctx))
    # The read-only SCIM view of the identities (docs/scim.md), for downstream applications.
    app.mount(scim_api.PREFIX, scim_api.application(ctx.engine))

    # The schema and its page describe personal-data endpoints: they need a log-in too.
    generated = app.openapi

    def openapi_schema() -> dict[str, Any]:
        if app.openapi_schema is None:
            api_errors.refuse_nul(generated())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi_schema  # type: ignore[method-assign]

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(user: Annotated[User, Depends(current_user)]) -> dict[str, Any]:
        return app.openapi()

    # Swagger UI from the package's own files: the page works without internet and under the
    # Content-Security-Policy (FastAPI's page loads it from a CDN with an inline script).
    @app.get("/api/docs", include_in_schema=False)
    def docs(request: Request, user: Annotated[User, Depends(current_user)]) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(request, "api_docs.html", {
            "openapi_url": "/api/openapi.json", "csrf": getattr(request.state, "csrf", "")})

    @app.get("/health", include_in_schema=False)
    @app.get("/api/health", tags=["health"], responses=api_errors.responses(400))
    def health() -> dict[str, str]:
        """Liveness: answers without authentication."""
        return {"status": "ok", "version": __version__}

    app.add_middleware(_NoNul)

    @app.exception_handler(LoginRequired)
    def _login(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(HeadcountError)
    def _headcount_error(request: Request, exc: HeadcountError) -> Response:
        code = (404 if isinstance(exc, NotFound) else 409 if isinstance(exc, RunRefused)
                else 403 if isinstance(exc, NotAllowed) else 400)
        return _error(request, code, str(exc))

    @app.exception_handler(HTTPException)
    def _http_error(request: Request, exc: HTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if not request.url.path.startswith("/api"):
            return await request_validation_exception_handler(request, exc)
        errors = api_errors.field_errors(exc)
        return JSONResponse(api_errors.error_body(api_errors.summary(errors), errors),
                            status_code=422)

    @app.exception_handler(sa_exc.DataError)
    def _data_error(request: Request, exc: sa_exc.DataError) -> Response:
        return _error(request, 400, "the repository refused a value of this request")

    def _unavailable(request: Request, exc: Exception) -> Response:
        error = user_error(exc)
        if error is None:
            raise exc
        return _error(request, 503, str(error))

    # The outside world's failures, by class: a handler of `Exception` would run outside every
    # middleware, and the answer would lose its security headers. Anything else is a bug (500).
    for failure in outside_failures():
        app.add_exception_handler(failure, _unavailable)

    return app


def _warm_lists(state: AppState) -> None:
    """Lists of a million resources answer in milliseconds once their table is built: build
    them while the server starts answering, not on the first visitor's click."""

    def warm() -> None:
        # Best effort: whatever fails here fails again, and is reported, on the page itself.
        with contextlib.suppress(Exception):
            state.lists.warm(state.project())

    state.launcher.in_background(warm, name="warm-lists")


def _error(request: Request, code: int, message: str,
           headers: Mapping[str, str] | None = None) -> Response:
    if request.url.path.startswith("/api") or "text/html" not in request.headers.get(
            "accept", ""):
        return JSONResponse(api_errors.error_body(message), status_code=code, headers=headers)
    page = render(request, "error.html", {"code": code, "message": message}, None)
    return HTMLResponse(page.body, status_code=code, headers=headers)
