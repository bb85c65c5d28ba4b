"""Who is asking: a session cookie (pages, with a CSRF token on every change) or a bearer API
token (scripts). Every route but log-in, static files and health depends on `require(...)`."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import Depends, HTTPException, Request, status

from headcount.repository import users
from headcount.repository.users import User
from headcount.web import i18n
from headcount.web.state import AppState

SESSION_COOKIE = "headcount_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class LoginRequired(Exception):
    """A page asked without a session: the browser is sent to the log-in page."""


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.headcount
    return state


async def current_user(request: Request) -> User:
    state = app_state(request)
    header = request.headers.get("authorization", "")
    with state.engine.connect() as conn:
        if header.lower().startswith("bearer "):
            user = users.token_user(conn, header[7:].strip())
            if user is None:
                raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid or revoked token",
                                    headers={"WWW-Authenticate": "Bearer"})
            return user
        token = request.cookies.get(SESSION_COOKIE)
        found = users.session_user(conn, token) if token else None
    if found is None:
        if _wants_html(request):
            raise LoginRequired()
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "log in or give a bearer token",
                            headers={"WWW-Authenticate": "Bearer"})
    user, csrf = found
    request.state.csrf = csrf
    i18n.set_request_locale(i18n.negotiate(request.headers.get("accept-language"),
                                           getattr(user, "language", None)),
                            getattr(user, "time_zone", None))
    if request.method not in SAFE_METHODS:
        given = request.headers.get(CSRF_HEADER)
        if given is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")):
            given = str((await request.form()).get("csrf", ""))
        if not given or not hmac.compare_digest(given.encode(), csrf.encode()):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token")
    return user


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get(
        "accept", "text/html")


def require(permission: str) -> Callable[..., User]:
    """A dependency: the current user, who must have `permission` (read, run, admin)."""

    def check(user: User = Depends(current_user)) -> User:  # noqa: B008
        if not user.can(permission):
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"the {user.role} role may not do this ({permission})")
        return user

    return check
