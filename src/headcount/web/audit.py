"""The audit log (SPEC §13): who did what, when."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from headcount.repository.schema import audit_log
from headcount.repository.users import User
from headcount.web.auth import app_state, require
from headcount.web.rendering import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]
Operator = Annotated[User, Depends(require("run"))]
Admin = Annotated[User, Depends(require("admin"))]


PAGE_SIZE = 50


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, user: Admin,
               page: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> Response:
    with app_state(request).engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.id.desc())
                            .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render(request, "audit.html", {"rows": rows, "page": page}, user)


