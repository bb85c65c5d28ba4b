"""Log-in and log-out (SPEC §13): a session cookie, a CSRF token for the form, and never an
open redirect after log-in."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from headcount.repository import runs, users
from headcount.repository.database import begin_write
from headcount.repository.users import User
from headcount.web.auth import SESSION_COOKIE, app_state, current_user, require
from headcount.web.rendering import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]
Operator = Annotated[User, Depends(require("run"))]
Admin = Annotated[User, Depends(require("admin"))]


LOGIN_CSRF = "headcount_login_csrf"


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


