"""The home page: a dashboard of the connectors, what needs attention, what waits for the user
and how the workforce moves (web/dashboard.py)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from headcount.repository.runs import now
from headcount.repository.users import User
from headcount.web import dashboard
from headcount.web.auth import app_state, require
from headcount.web.rendering import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: Reader) -> Response:
    state = app_state(request)
    project = state.project()
    moment = now()
    with state.engine.connect() as conn:
        board = dashboard.dashboard(conn, project, user, moment)
    return render(request, "home.html", {
        "board": board, "ago": partial(dashboard.ago, now=moment),
        "movements_chart": partial(dashboard.movements_chart, board.weeks)}, user)
