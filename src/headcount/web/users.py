"""Users and API tokens (SPEC §13), for administrators: the users with their role, state and last
log-in; adding one; a user's page to change their role, disable, enable or delete them and reset
their password (issue 12 item 8), each audited with who did it."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from headcount.repository import administration, runs, users
from headcount.repository.administration import LastAdministrator, OwnAccount
from headcount.repository.database import begin_write
from headcount.repository.users import AccessError, User, WeakPassword
from headcount.web.api import access
from headcount.web.api.models import Id, TokenIn
from headcount.web.auth import app_state, require
from headcount.web.export import ExportFormat, export_response
from headcount.web.i18n import gettext as _
from headcount.web.rendering import render

router = APIRouter(include_in_schema=False)
Admin = Annotated[User, Depends(require("admin"))]


def _admin_session(user: Admin) -> User:
    # A session only: a script's token cannot change users through these forms.
    return access.session_user(user)


AdminSession = Annotated[User, Depends(_admin_session)]
Name = Annotated[str, Form(max_length=255)]


class Done(StrEnum):
    """What the user's page says after a change (the redirect's `?done=`)."""

    ROLE = "role"
    DISABLED = "disabled"
    ENABLED = "enabled"
    PASSWORD = "password"


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, user: Admin, export: ExportFormat | None = None) -> Response:
    if export is not None:
        return _export(request, export)
    return _users_page(request, user)


def _export(request: Request, fmt: ExportFormat) -> Response:
    with app_state(request).engine.connect() as conn:
        everyone = administration.summaries(conn)
    return export_response("users", [
        "name", "role", "state", "email", "last_login_at", "created_at"], [
        (u.name, u.role, "disabled" if u.disabled else "active", u.email, u.last_login_at,
         u.created_at) for u in everyone], fmt)


def _users_page(request: Request, user: User, new_token: str | None = None,
                token_error: str | None = None, add_error: str | None = None,
                status_code: int = 200) -> Response:
    with app_state(request).engine.connect() as conn:
        everyone = administration.summaries(conn)
        tokens = users.list_tokens(conn, user)
    return render(request, "users.html", {
        "users": everyone, "roles": users.ROLES, "scopes": users.SCOPES, "tokens": tokens,
        "new_token": new_token, "token_error": token_error, "add_error": add_error}, user,
        status_code)


@router.post("/users/tokens", response_class=HTMLResponse)
def create_token(request: Request, user: Admin,
                 name: Annotated[str, Form(max_length=1000)] = "",
                 scopes: Annotated[list[str] | None, Form()] = None) -> Response:
    """The same as `POST /api/tokens`; the token is shown once, in this answer (never in a URL,
    where histories and logs would keep it)."""
    try:
        wanted = TokenIn.model_validate({"name": name, "scopes": scopes or []})
    except ValidationError:
        return _users_page(request, user, token_error=_(
            "Give the token a name and at least one scope."), status_code=422)
    created = access.create_token(request, access.session_user(user), wanted)
    return _users_page(request, user, new_token=created.token)


@router.post("/users/tokens/{token_id}/revoke")
def revoke_token(request: Request, user: Admin, token_id: Id) -> Response:
    access.revoke_token(request, access.session_user(user), token_id)
    return RedirectResponse("/users", status_code=303)


@router.post("/users")
def add_user(request: Request, user: AdminSession, name: Name,
             password: Annotated[str, Form(max_length=1000)], role: Annotated[str, Form()]
             ) -> Response:
    try:
        with begin_write(app_state(request).engine) as conn:
            added = users.add_user(conn, name, password, role)
            runs.audit(conn, user.name, "user added", f"{added.name} ({added.role})", None)
    except AccessError as error:
        return _users_page(request, user, add_error=explain(error), status_code=422)
    return RedirectResponse(f"/users/{added.name}", status_code=303)


@router.get("/users/{name}", response_class=HTMLResponse)
def user_page(request: Request, user: Admin, name: str, done: Done | None = None
              ) -> Response:
    return _user_page(request, user, name, notice=_notice(done))


def _user_page(request: Request, user: User, name: str, notice: str | None = None,
               error: str | None = None, new_password: str | None = None,
               status_code: int = 200) -> Response:
    with app_state(request).engine.connect() as conn:
        shown = administration.summary(conn, name)
    return render(request, "user.html", {
        "shown": shown, "roles": users.ROLES, "notice": notice, "error": error,
        "new_password": new_password, "min_password": users.MIN_PASSWORD,
        "themself": shown.name.lower() == user.name.lower()}, user, status_code)


def _notice(done: Done | None) -> str | None:
    return {Done.ROLE: _("The role was changed."),
            Done.DISABLED: _("The user was disabled: their sessions ended and their API "
                             "tokens were revoked."),
            Done.ENABLED: _("The user was enabled: they may log in again."),
            Done.PASSWORD: _("The password was reset: the user's sessions ended."),
            None: None}[done]


def explain(error: AccessError) -> str:
    """The refusal in the reader's language (the repository's message is English)."""
    if isinstance(error, LastAdministrator):
        return {
            "demoted": _("%(name)s is the last enabled administrator and keeps that role: make "
                         "another user administrator first.", name=error.name),
            "disabled": _("%(name)s is the last enabled administrator and cannot be disabled: "
                          "make another user administrator first.", name=error.name),
        }.get(error.change, _("%(name)s is the last enabled administrator and cannot be "
                              "deleted: make another user administrator first.",
                              name=error.name))
    if isinstance(error, OwnAccount):
        return {
            "disabled": _("You cannot disable your own account: another administrator can."),
            "deleted": _("You cannot delete your own account: another administrator can."),
        }.get(error.change, _("Change your own password on your profile page, where the "
                              "current one is required."))
    if isinstance(error, WeakPassword):
        return _("A password has at least %(n)s characters.", n=users.MIN_PASSWORD)
    return str(error)


def _change(request: Request, user: User, name: str, done: Done | None,
            change: administration.Change) -> Response:
    """Apply `change` to user `name`; back to their page, or the page with why it was refused
    (409: the state forbids it, such as the last administrator; 422: a value refused)."""
    try:
        with begin_write(app_state(request).engine) as conn:
            change(conn, user.name, name)
    except (LastAdministrator, OwnAccount) as error:
        return _user_page(request, user, name, error=explain(error), status_code=409)
    except AccessError as error:
        return _user_page(request, user, name, error=explain(error), status_code=422)
    if done is None:
        return RedirectResponse("/users", status_code=303)
    if done is Done.ROLE and name.lower() == user.name.lower():
        # Demoted themself: their own page (and this one) may no longer be theirs to see.
        return RedirectResponse("/profile", status_code=303)
    return RedirectResponse(f"/users/{name}?done={done.value}", status_code=303)


@router.post("/users/{name}/role")
def change_role(request: Request, user: AdminSession, name: str,
                role: Annotated[str, Form(max_length=32)]) -> Response:
    return _change(request, user, name, Done.ROLE,
                   lambda conn, actor, target: administration.change_role(
                       conn, actor, target, role))


@router.post("/users/{name}/disable")
def disable(request: Request, user: AdminSession, name: str) -> Response:
    return _change(request, user, name, Done.DISABLED, administration.disable)


@router.post("/users/{name}/enable")
def enable(request: Request, user: AdminSession, name: str) -> Response:
    return _change(request, user, name, Done.ENABLED, administration.enable)


@router.post("/users/{name}/delete")
def delete(request: Request, user: AdminSession, name: str,
           confirm: Annotated[str, Form(max_length=10)] = "") -> Response:
    if confirm != "yes":
        return _user_page(request, user, name, status_code=422, error=_(
            "Tick the box to confirm the deletion."))
    return _change(request, user, name, None, administration.delete)


@router.post("/users/{name}/password", response_class=HTMLResponse)
def reset_password(request: Request, user: AdminSession, name: str,
                   password: Annotated[str, Form(max_length=1000)] = "") -> Response:
    """The password typed, or (left empty) one made up and shown once in this answer — never
    in a URL, where histories and logs would keep it."""
    chosen = password or administration.generated_password()
    answer = _change(request, user, name, Done.PASSWORD,
                     lambda conn, actor, target: administration.reset_password(
                         conn, actor, target, chosen))
    if password or answer.status_code != 303:
        return answer
    return _user_page(request, user, name, notice=_notice(Done.PASSWORD),
                      new_password=chosen)
