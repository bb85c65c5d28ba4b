"""Rendering pages: Jinja2 templates with the left menu, the user and the CSRF token."""

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
from headcount.web import catalog
from headcount.web.auth import app_state
from headcount.workflows.tasks import open_count

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.filters["fromjson"] = json.loads
# One way to show a value in every page: an empty one is `—` (headcount.display, as in the CLI).
TEMPLATES.env.filters["shown"] = shown
TEMPLATES.env.globals["changed_values"] = changed_values


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
    return TEMPLATES.TemplateResponse(request, name, {
        "user": user, "menu": menu, "csrf": getattr(request.state, "csrf", ""),
        "open_cases": open_cases, "open_tasks": open_tasks, "review_systems": systems,
        **context,
    }, status_code=status_code)
