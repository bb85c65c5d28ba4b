"""Log-in and log-out (SPEC §13): a session cookie, a CSRF token for the form, and never an
open redirect after log-in. Single sign-on (web/sso.py) is offered beside the form when the
project's `sso:` settings are ready."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from headcount.repository import runs, users
from headcount.repository import sso as sso_users
from headcount.repository.database import begin_write
from headcount.repository.users import User
from headcount.web import sso
from headcount.web.auth import SESSION_COOKIE, app_state, current_user, require
from headcount.web.rendering import render
from headcount.web.signin import safe_next, signed_in

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]
Operator = Annotated[User, Depends(require("run"))]
Admin = Annotated[User, Depends(require("admin"))]


LOGIN_CSRF = "headcount_login_csrf"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None, error: str | None = None
               ) -> Response:
    token = secrets.token_urlsafe(24)
    settings = sso.settings_of(request)
    page = render(request, "login.html", {
        "next": safe_next(next), "error": error, "login_csrf": token,
        "sso_label": settings.button_label if settings else None,
        "sso_ready": settings is not None and settings.client_secret() is not None}, None)
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
    failed = RedirectResponse(f"/login?error=failed&next={quote(safe_next(next))}",
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
        response = signed_in(request, conn, user, next)
    response.delete_cookie(LOGIN_CSRF)
    return response


@router.post("/logout")
async def logout(request: Request, user: Annotated[User, Depends(current_user)]) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    with begin_write(app_state(request).engine) as conn:
        users.close_session(conn, token)
        runs.audit(conn, user.name, "logout", user.name, None)
        issuer = sso_users.issuer_of(conn, user)
    # A single sign-on user also leaves the provider's session, when it offers a log-out.
    response = await sso.provider_logout(request, issuer) or RedirectResponse(
        "/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
