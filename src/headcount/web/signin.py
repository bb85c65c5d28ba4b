"""What every way of logging in ends with (a password or single sign-on): a new headcount
session in its cookie, and a redirect that never leaves the site."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from headcount.repository import runs, users
from headcount.repository.users import User
from headcount.web.auth import SESSION_COOKIE


def safe_next(target: str | None) -> str:
    # Only paths of this site: never an open redirect (browsers read `/\host` as `//host`).
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(c) < 32 for c in target):
        return "/"
    return target


def signed_in(request: Request, conn: sa.Connection, user: User, target: str | None
              ) -> Response:
    """Open `user`'s session (audited) and send them to `target`."""
    # A log-in ends the client's earlier session: a session id planted or seen before the
    # log-in (fixation) authenticates nothing after it.
    earlier = request.cookies.get(SESSION_COOKIE)
    if earlier:
        users.close_session(conn, earlier)
    token, _ = users.open_session(conn, user)
    runs.audit(conn, user.name, "login", user.name, None)
    response = RedirectResponse(safe_next(target), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https",
                        max_age=int(users.SESSION_LIFETIME.total_seconds()))
    return response
