"""Your profile (issue 12 items 7 and 8): every user's own language, time zone and e-mail, and
their own password — the current one required, and wrong guesses counted as failed log-ins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from headcount.repository import administration, runs, users
from headcount.repository.database import begin_write
from headcount.repository.users import AccessError, User
from headcount.web import i18n
from headcount.web.api import access
from headcount.web.auth import SESSION_COOKIE, app_state, current_user
from headcount.web.i18n import gettext as _
from headcount.web.rendering import render
from headcount.web.users import explain

router = APIRouter(include_in_schema=False)
Someone = Annotated[User, Depends(current_user)]
# Changed from a session only: a script's API token has no profile to change.
Session = Annotated[User, Depends(access.session_user)]


@router.get("/profile", response_class=HTMLResponse)
def profile_page(request: Request, user: Someone, saved: str | None = None) -> Response:
    notice = {"preferences": _("Your preferences were saved."),
              "password": _("Your password was changed; your other sessions ended.")
              }.get(saved or "")
    return _page(request, user, notice=notice)


def _page(request: Request, user: User, notice: str | None = None,
          preferences_error: str | None = None, password_error: str | None = None,
          status_code: int = 200) -> Response:
    with app_state(request).engine.connect() as conn:
        me = administration.summary(conn, user.name)
    return render(request, "profile.html", {
        "me": me, "notice": notice, "preferences_error": preferences_error,
        "password_error": password_error, "min_password": users.MIN_PASSWORD,
        "languages": list(i18n.LANGUAGE_NAMES.items()),
        "time_zones": administration.time_zones()}, user, status_code)


@router.post("/profile")
def save_preferences(request: Request, user: Session,
                     language: Annotated[str, Form(max_length=16)] = "",
                     time_zone: Annotated[str, Form(max_length=64)] = "",
                     email: Annotated[str, Form(max_length=320)] = "") -> Response:
    if language and language not in i18n.LANGUAGES:
        return _page(request, user, status_code=422,
                     preferences_error=_("Choose a language of the list."))
    try:
        with begin_write(app_state(request).engine) as conn:
            administration.set_preferences(conn, user, language or None, time_zone or None,
                                           email.strip() or None)
    except administration.UnknownTimeZone:
        return _page(request, user, status_code=422,
                     preferences_error=_("Choose a time zone of the list."))
    except users.NotAnEmail:
        return _page(request, user, status_code=422,
                     preferences_error=_("%(email)s is not an e-mail address.", email=email))
    return RedirectResponse("/profile?saved=preferences", status_code=303)


@router.post("/profile/password")
def change_password(request: Request, user: Session,
                    current: Annotated[str, Form(max_length=1000)],
                    password: Annotated[str, Form(max_length=1000)],
                    repeat: Annotated[str, Form(max_length=1000)]) -> Response:
    state = app_state(request)
    # The slow hash is checked outside the write, as at log-in (web/login.py).
    with state.engine.connect() as conn:
        throttled = users.throttled(conn, user.name)
        right = not throttled and users.authenticate(conn, user.name, current) is not None
    if not right:
        if not throttled:  # counted like a log-in: the same lock-out after five
            with begin_write(state.engine) as conn:
                runs.audit(conn, user.name, "login failed",
                           users.login_key(user.name) or user.name,
                           "current password on the profile page")
        return _page(request, user, status_code=403, password_error=_(
            "The current password is wrong (or too many wrong attempts: wait 15 minutes)."))
    if password != repeat:
        return _page(request, user, status_code=422, password_error=_(
            "The new password and its repetition differ."))
    try:
        with begin_write(state.engine) as conn:
            administration.change_own_password(conn, user, password,
                                               request.cookies.get(SESSION_COOKIE))
    except AccessError as error:
        return _page(request, user, status_code=422, password_error=explain(error))
    return RedirectResponse("/profile?saved=password", status_code=303)
