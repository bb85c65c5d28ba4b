"""Rendering pages: Jinja2 templates with the left menu, the user and the CSRF token, in the
user's language and time zone (web/i18n.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from headcount.campaigns.store import open_count as campaign_items_open
from headcount.display import changed_values, shown
from headcount.policy.cases import count_open
from headcount.repository.users import User
from headcount.web import catalog, i18n, words
from headcount.web.auth import app_state
from headcount.workflows.tasks import open_count

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.filters["fromjson"] = json.loads
# One way to show a value in every page: an empty one is `—` (headcount.display, as in the CLI).
TEMPLATES.env.filters["shown"] = shown
TEMPLATES.env.globals["changed_values"] = changed_values
# Every text of a template goes through `_()` (or `{% trans %}`), read from the catalog of the
# request's language; dates, times and numbers through the filters below (issue 12).
TEMPLATES.env.add_extension("jinja2.ext.i18n")
TEMPLATES.env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.lookup, i18n.lookup_plural, newstyle=True)
TEMPLATES.env.filters["number"] = i18n.format_number
TEMPLATES.env.filters["day"] = i18n.format_date
TEMPLATES.env.filters["moment"] = i18n.format_datetime
# Kinds, states, durations and sizes in words (web/words.py).
for _name in ("change_kind", "order_kind", "run_state", "run_mode", "duration", "size", "role",
              "state", "typed", "trigger"):
    TEMPLATES.env.filters[_name] = getattr(words, _name)
TEMPLATES.env.globals["current_language"] = i18n.current_language
TEMPLATES.env.globals["current_time_zone"] = i18n.current_time_zone


def language_of(request: Request, user: User | None) -> tuple[str, str | None]:
    """The language and time zone to answer `request` in: the user's preferences, else the
    browser's Accept-Language (and UTC)."""
    preference = getattr(user, "language", None)
    zone = getattr(user, "time_zone", None)
    return i18n.negotiate(request.headers.get("accept-language"), preference), zone


def render(request: Request, name: str, context: dict[str, Any], user: User | None,
           status_code: int = 200) -> HTMLResponse:
    state = app_state(request)
    menu: list[Any] = []
    systems: list[Any] = []
    open_cases = open_tasks = 0
    if user is not None:
        project = state.project()
        systems = list(project.managed_systems)  # under Reviews: "Accounts — <system>"
        with state.engine.connect() as conn:
            menu = catalog.menu(project, conn)
            open_cases = count_open(conn)  # the count beside "Correlation cases"
            # Beside "My Tasks": also for a person who decides nothing but was delegated a task.
            open_tasks = open_count(conn, project, user) + campaign_items_open(conn, user)
    language, zone = language_of(request, user)
    # Starlette renders the template here, inside the request's language.
    with i18n.use_locale(language, zone):
        return TEMPLATES.TemplateResponse(request, name, {
            "user": user, "menu": menu, "csrf": getattr(request.state, "csrf", ""),
            "open_cases": open_cases, "open_tasks": open_tasks, "review_systems": systems,
            "language": language, **context,
        }, status_code=status_code)


def fragment(request: Request, name: str, context: dict[str, Any], user: User | None,
             status_code: int = 200) -> HTMLResponse:
    """An htmx fragment (a `_thing.html` partial): no menu, but the same language and time zone
    as a whole page."""
    language, zone = language_of(request, user)
    with i18n.use_locale(language, zone):
        return TEMPLATES.TemplateResponse(request, name, {
            "user": user, "csrf": getattr(request.state, "csrf", ""), "language": language,
            **context}, status_code=status_code)
