"""Users and API tokens (SPEC §13), for administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from headcount.repository import runs, users
from headcount.repository.database import begin_write
from headcount.repository.users import User
from headcount.web.api import access
from headcount.web.api.models import Id, TokenIn
from headcount.web.auth import app_state, require
from headcount.web.rendering import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]
Operator = Annotated[User, Depends(require("run"))]
Admin = Annotated[User, Depends(require("admin"))]


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
