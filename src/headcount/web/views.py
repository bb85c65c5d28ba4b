"""The pages (SPEC §12): log-in, home with the left menu, lists, resource pages with the eye
icon, connector dashboards with their jobs and job results, the Job Execution page, the audit log,
users and API tokens. Each page reads and writes through the same code as the API."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from headcount.jobs.blocked import cancel, resume
from headcount.jobs.synchronization import SyncRequest
from headcount.policy.job import resource_types_fed_by
from headcount.project import ProjectContext
from headcount.repository import resources, runs, users
from headcount.repository.changelist import KINDS
from headcount.repository.database import begin_write
from headcount.repository.schema import audit_log
from headcount.repository.users import User
from headcount.web import catalog, systems
from headcount.web.api import access
from headcount.web.api.catalog import connector_out
from headcount.web.api.models import Id, TokenIn
from headcount.web.api.runs import (
    change_rows,
    order_rows,
    rejects_csv,
    run_out,
    unresolved_csv,
    unresolved_rows,
)
from headcount.web.auth import SESSION_COOKIE, app_state, current_user, require
from headcount.web.rendering import render
from headcount.workflows import history

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]
Operator = Annotated[User, Depends(require("run"))]
Admin = Annotated[User, Depends(require("admin"))]
LOGIN_CSRF = "headcount_login_csrf"
PAGE_SIZE = 50


def _safe_next(target: str | None) -> str:
    # Only paths of this site: never an open redirect (browsers read `/\host` as `//host`).
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(c) < 32 for c in target):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None, error: str | None = None
               ) -> Response:
    token = secrets.token_urlsafe(24)
    page = render(request, "login.html", {"next": _safe_next(next), "error": error,
                                          "login_csrf": token}, None)
    page.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict",
                    secure=request.url.scheme == "https")
    return page


@router.post("/login")
def login(request: Request, name: Annotated[str, Form(max_length=255)],
          password: Annotated[str, Form(max_length=1000)],
          csrf: Annotated[str, Form(max_length=100)] = "",
          next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    state = app_state(request)
    expected = request.cookies.get(LOGIN_CSRF, "")
    if not csrf or not secrets.compare_digest(csrf.encode(), expected.encode()):
        return RedirectResponse("/login?error=expired", status_code=303)
    failed = RedirectResponse(f"/login?error=failed&next={quote(_safe_next(next))}",
                              status_code=303)
    key = users.login_key(name)
    with state.engine.connect() as conn:
        if users.throttled(conn, name):
            return failed  # not counted again: the lock-out ends with its window
        user = users.authenticate(conn, name, password)
    assert key is not None  # a name no user can have is always throttled
    with begin_write(state.engine) as conn:
        if user is None:
            runs.audit(conn, name, "login failed", key, None)
            return failed
        # A log-in ends the client's earlier session: a session id planted or seen before the
        # log-in (fixation) authenticates nothing after it.
        earlier = request.cookies.get(SESSION_COOKIE)
        if earlier:
            users.close_session(conn, earlier)
        token, _ = users.open_session(conn, user)
        runs.audit(conn, user.name, "login", user.name, None)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https",
                        max_age=int(users.SESSION_LIFETIME.total_seconds()))
    response.delete_cookie(LOGIN_CSRF)
    return response


@router.post("/logout")
def logout(request: Request, user: Annotated[User, Depends(current_user)]) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    with begin_write(app_state(request).engine) as conn:
        users.close_session(conn, token)
        runs.audit(conn, user.name, "logout", user.name, None)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: Reader) -> Response:
    state = app_state(request)
    project = state.project()
    with state.engine.connect() as conn:
        latest = runs.list_runs(conn, None, 5)
    return render(request, "home.html", {"connectors": project.connectors, "latest": latest},
                  user)


@router.get("/entity-types/{entity_type}", response_class=HTMLResponse)
def entity_list(request: Request, user: Reader, entity_type: str,
                q: Annotated[str | None, Query(max_length=200)] = None,
                sort: str | None = None, descending: bool = False,
                page: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> Response:
    state = app_state(request)
    connector, et = catalog.entity_type(state.project(), entity_type)
    columns = catalog.list_columns(et)
    known = {p.identifier for p in et.scalar_properties}
    filters = {k[2:]: v for k, v in request.query_params.items()
               if k.startswith("f.") and k[2:] in known and v}
    new_property, new_value = request.query_params.get("fp"), request.query_params.get("fv")
    if new_property in known and new_value:
        filters[new_property] = new_value
    found = state.lists.page(connector.identifier, et, columns, q or None, filters,
                             sort if sort in known else None, descending, PAGE_SIZE,
                             (page - 1) * PAGE_SIZE)
    rows = [(k, et.display(v), v) for k, v in found.rows]
    return render(request, "list.html", {
        "et": et, "columns": columns, "rows": rows, "total": found.total,
        "capped": False, "q": q or "", "sort": sort if sort in known else None,
        "descending": descending, "page": page, "pages": max(1, -(-found.total // PAGE_SIZE)),
        "filters": filters, "properties": sorted(known)}, user)


@router.get("/entity-types/{entity_type}/{key:path}", response_class=HTMLResponse)
def resource_page(request: Request, user: Reader, entity_type: str, key: str,
                  tab: str = "properties") -> Response:
    state = app_state(request)
    project = state.project()
    _, et = catalog.entity_type(project, entity_type)
    with state.engine.connect() as conn:
        view = resources.get_resource(conn, et.identifier, key)
    groups: dict[str, list[tuple[str, Any]]] = {}
    for p in sorted(et.scalar_properties, key=lambda p: (p.group or "", p.identifier)):
        groups.setdefault(p.group or "Properties", []).append(
            (p.display_name or p.identifier, view.values.get(p.identifier)))
    navigations = [(p, view.links.get(p.identifier, [])) for p in et.properties
                   if p.is_navigation]
    reverse = []
    for nav, sources in view.reverse.items():
        source_type, _, prop = nav.partition(".")
        found = project.entity_type(source_type)
        flip = found[1].find_property(prop) if found else None
        reverse.append((flip.flip if flip and flip.flip else nav, sources))
    return render(request, "resource.html", {
        "et": et, "view": view, "title": et.display(view.values) or key,
        "groups": groups, "navigations": navigations, "reverse": reverse,
        "tab": "history" if tab == "history" else "properties",
        **systems.account_sections(state, et.identifier, view.key)}, user)


@router.get("/connectors/{name}", response_class=HTMLResponse)
def connector_page(request: Request, user: Reader, name: str) -> Response:
    state = app_state(request)
    info = connector_out(state, name)
    with state.engine.connect() as conn:
        latest = [run_out(state, r) for r in runs.list_runs(conn, info.identifier, 20)]
    project = state.project()
    found = project.connector(info.identifier)
    evaluates = bool(found and resource_types_fed_by(project, found))
    # A launched run uses the deployed configuration: say so when the files on disk differ.
    undeployed = ProjectContext(state.project_dir, state.engine).undeployed_changes()
    return render(request, "connector.html", {"connector": info, "runs": latest,
                                              "evaluates": evaluates,
                                              "undeployed": undeployed}, user)


@router.get("/connectors/{name}/runs-table", response_class=HTMLResponse)
def connector_runs(request: Request, user: Reader, name: str) -> Response:
    state = app_state(request)
    info = connector_out(state, name)
    with state.engine.connect() as conn:
        latest = [run_out(state, r) for r in runs.list_runs(conn, info.identifier, 20)]
    return render(request, "_runs.html", {"runs": latest, "poll": info.identifier}, user)


@router.post("/connectors/{name}/runs")
def launch(request: Request, user: Operator, name: str,
           mode: Annotated[str, Form(pattern="^(complete|incremental|initial|)$")] = ""
           ) -> Response:
    state = app_state(request)
    connector = catalog.connector(state.project(), name)
    run_id = state.launcher.launch(SyncRequest(connector.identifier, mode or None,
                                               actor=user.name))
    with begin_write(state.engine) as conn:
        runs.audit(conn, user.name, "launch", f"run {run_id} of {connector.identifier}", None)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.post("/connectors/{name}/evaluate")
def evaluate(request: Request, user: Operator, name: str) -> Response:
    state = app_state(request)
    connector = catalog.connector(state.project(), name)
    run_id = state.launcher.launch_evaluation(connector.identifier, user.name)
    with begin_write(state.engine) as conn:
        runs.audit(conn, user.name, "evaluate", f"run {run_id} of {connector.identifier}", None)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.get("/runs", response_class=HTMLResponse)
def job_execution(request: Request, user: Reader,
                  page: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> Response:
    state = app_state(request)
    with state.engine.connect() as conn:
        latest = [run_out(state, r) for r in runs.list_runs(conn, None, PAGE_SIZE + 1,
                                                            (page - 1) * PAGE_SIZE)]
    return render(request, "runs.html", {"runs": latest[:PAGE_SIZE], "page": page,
                                         "more": len(latest) > PAGE_SIZE}, user)


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, user: Reader, run_id: Id,
             kind: Annotated[str | None, Query(pattern="^(insert|update|delete|link_insert|"
                                                       "link_delete)$")] = None,
             page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
             unresolved: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> Response:
    context = _run_context(request, run_id, kind, page)
    total, refs = unresolved_rows(app_state(request), run_id, PAGE_SIZE,
                                  (unresolved - 1) * PAGE_SIZE)
    context.update({"unresolved": refs, "unresolved_total": total,
                    "unresolved_page": unresolved,
                    "unresolved_pages": max(1, -(-total // PAGE_SIZE))})
    return render(request, "run.html", context, user)


@router.get("/runs/{run_id}/status", response_class=HTMLResponse)
def run_status(request: Request, user: Reader, run_id: Id) -> Response:
    context = _run_context(request, run_id, None, 1)
    return render(request, "_run_status.html", context, user)


def _run_context(request: Request, run_id: int, kind: str | None, page: int) -> dict[str, Any]:
    state = app_state(request)
    with state.engine.connect() as conn:
        run = run_out(state, runs.get_run(conn, run_id))
        log = runs.logs(conn, run_id)
    total, rows = change_rows(state, run_id, kind, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    orders_total, orders = order_rows(state, run_id, PAGE_SIZE, 0)
    with state.engine.connect() as conn:
        workflows_total, started = history.of_run(conn, run_id, PAGE_SIZE, 0)
    return {"run": run, "log": log, "changes": rows, "changes_total": total, "kind": kind,
            "orders": orders, "orders_total": orders_total,
            "workflows": started, "workflows_total": workflows_total,
            "kinds": KINDS, "page": page, "pages": max(1, -(-total // PAGE_SIZE))}


@router.get("/runs/{run_id}/set-aside.csv")
def run_rejects(request: Request, user: Reader, run_id: Id) -> Response:
    return Response(rejects_csv(app_state(request), run_id), media_type="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="run-{run_id}-set-aside.csv"'})


@router.get("/runs/{run_id}/unresolved.csv")
def run_unresolved(request: Request, user: Reader, run_id: Id) -> Response:
    return Response(unresolved_csv(app_state(request), run_id), media_type="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="run-{run_id}-unresolved.csv"'})


@router.post("/runs/{run_id}/resume")
def resume_run(request: Request, user: Operator, run_id: Id,
               reason: Annotated[str, Form(min_length=1, max_length=2000,
                                           pattern=r"^[^\x00]*$")],
               expected_orders: Annotated[int, Form(ge=0, le=2**31 - 1)],
               expected_preview: Annotated[str, Form(max_length=64,
                                                     pattern=r"^[0-9a-f]*$")] = "") -> Response:
    state = app_state(request)
    resume(ProjectContext(state.project_dir, state.engine), run_id, reason, actor=user.name,
           expected_orders=expected_orders, expected_preview=expected_preview or None)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.post("/runs/{run_id}/cancel")
def cancel_run(request: Request, user: Operator, run_id: Id,
               reason: Annotated[str, Form(min_length=1, max_length=2000,
                                           pattern=r"^[^\x00]*$")]) -> Response:
    state = app_state(request)
    cancel(ProjectContext(state.project_dir, state.engine), run_id, reason, actor=user.name)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, user: Admin,
               page: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> Response:
    with app_state(request).engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.id.desc())
                            .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render(request, "audit.html", {"rows": rows, "page": page}, user)


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, user: Admin) -> Response:
    return _users_page(request, user)


def _users_page(request: Request, user: User, new_token: str | None = None,
                token_error: str | None = None, status_code: int = 200) -> Response:
    with app_state(request).engine.connect() as conn:
        everyone = users.list_users(conn)
        tokens = users.list_tokens(conn, user)
    return render(request, "users.html", {
        "users": everyone, "roles": users.ROLES, "scopes": users.SCOPES, "tokens": tokens,
        "new_token": new_token, "token_error": token_error}, user, status_code)


@router.post("/users/tokens", response_class=HTMLResponse)
def create_token(request: Request, user: Admin,
                 name: Annotated[str, Form(max_length=1000)] = "",
                 scopes: Annotated[list[str] | None, Form()] = None) -> Response:
    """The same as `POST /api/tokens`; the token is shown once, in this answer (never in a URL,
    where histories and logs would keep it)."""
    try:
        wanted = TokenIn.model_validate({"name": name, "scopes": scopes or []})
    except ValidationError:
        return _users_page(request, user, token_error="Give the token a name and at least one "
                                                      "scope.", status_code=422)
    created = access.create_token(request, access.session_user(user), wanted)
    return _users_page(request, user, new_token=created.token)


@router.post("/users/tokens/{token_id}/revoke")
def revoke_token(request: Request, user: Admin, token_id: Id) -> Response:
    access.revoke_token(request, access.session_user(user), token_id)
    return RedirectResponse("/users", status_code=303)


@router.post("/users")
def add_user(request: Request, user: Admin,
             name: Annotated[str, Form(min_length=1, max_length=255,
                                       pattern=r"^[A-Za-z0-9_.@-]+$")],
             password: Annotated[str, Form(min_length=8, max_length=1000)],
             role: Annotated[str, Form()]) -> Response:
    with begin_write(app_state(request).engine) as conn:
        added = users.add_user(conn, name, password, role)
        runs.audit(conn, user.name, "user added", f"{added.name} ({added.role})", None)
    return RedirectResponse("/users", status_code=303)
