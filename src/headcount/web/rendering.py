"""Rendering pages: Jinja2 templates with the left menu, the user and the CSRF token."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from headcount.repository.users import User
from headcount.web import catalog
from headcount.web.auth import app_state

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.filters["fromjson"] = json.loads


def render(request: Request, name: str, context: dict[str, Any], user: User | None,
           status_code: int = 200) -> HTMLResponse:
    state = app_state(request)
    menu: list[Any] = []
    if user is not None:
        with state.engine.connect() as conn:
            menu = catalog.menu(state.project(), conn)
    return TEMPLATES.TemplateResponse(request, name, {
        "user": user, "menu": menu, "csrf": getattr(request.state, "csrf", ""), **context,
    }, status_code=status_code)
