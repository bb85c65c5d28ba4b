"""The home page: the connectors and what needs attention."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from headcount.repository import runs
from headcount.repository.users import User
from headcount.web.auth import app_state, require
from headcount.web.rendering import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]
Operator = Annotated[User, Depends(require("run"))]
Admin = Annotated[User, Depends(require("admin"))]


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: Reader) -> Response:
    state = app_state(request)
    project = state.project()
    with state.engine.connect() as conn:
        latest = runs.list_runs(conn, None, 5)
    return render(request, "home.html", {"connectors": project.connectors, "latest": latest},
                  user)


