"""Who uses headcount: the current user, users, API tokens, the audit log."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Query, Request, status

from headcount.repository import runs, users
from headcount.repository.database import begin_write
from headcount.repository.schema import audit_log
from headcount.repository.users import User
from headcount.web.api.errors import GUARDED, responses
from headcount.web.api.models import AuditOut, Id, NewTokenOut, TokenIn, TokenOut, UserIn, UserOut
from headcount.web.auth import app_state, current_user, require

router = APIRouter(tags=["access"], responses=responses(*GUARDED))
Reader = Annotated[User, Depends(require("read"))]
Admin = Annotated[User, Depends(require("admin"))]


@router.get("/me", response_model=UserOut)
def me(user: Reader) -> UserOut:
    return UserOut(name=user.name, role=user.role)


@router.get("/users", response_model=list[UserOut])
def list_users(request: Request, user: Admin) -> list[UserOut]:
    with app_state(request).engine.connect() as conn:
        return [UserOut(name=u.name, role=u.role) for u in users.list_users(conn)]


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED,
             responses=responses(409, 422))
def add_user(request: Request, user: Admin, body: UserIn) -> UserOut:
    with begin_write(app_state(request).engine) as conn:
        if users.find_user(conn, body.name) is not None:
            raise HTTPException(status.HTTP_409_CONFLICT, f"user `{body.name}` exists")
        added = users.add_user(conn, body.name, body.password, body.role)
        runs.audit(conn, user.name, "user added", f"{added.name} ({added.role})", None)
    return UserOut(name=added.name, role=added.role)


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(request: Request, user: Annotated[User, Depends(current_user)]
                ) -> list[TokenOut]:
    """The caller's API tokens (never the tokens themselves)."""
    with app_state(request).engine.connect() as conn:
        return [TokenOut.model_validate(t) for t in users.list_tokens(conn, user)]


def session_user(user: Annotated[User, Depends(current_user)]) -> User:
    """Tokens are managed from a log-in session: a token cannot mint or revoke tokens."""
    if user.scopes is not None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "API tokens are managed from a session")
    return user


@router.post("/tokens", response_model=NewTokenOut, status_code=status.HTTP_201_CREATED,
             responses=responses(422))
def create_token(request: Request, user: Annotated[User, Depends(session_user)], body: TokenIn
                 ) -> NewTokenOut:
    """A new API token for the caller (from a session), with no more rights than the caller."""
    beyond = [s for s in body.scopes if not user.can(s)]
    if beyond:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"the {user.role} role does not have {', '.join(beyond)}")
    with begin_write(app_state(request).engine) as conn:
        token = users.create_token(conn, user, body.name, list(body.scopes))
        runs.audit(conn, user.name, "token created", body.name, None)
    return NewTokenOut(token=token)


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=responses(404, 422))
def revoke_token(request: Request, user: Annotated[User, Depends(session_user)],
                 token_id: Id) -> None:
    with begin_write(app_state(request).engine) as conn:
        users.revoke_token(conn, user, token_id)
        runs.audit(conn, user.name, "token revoked", str(token_id), None)


@router.get("/audit", response_model=list[AuditOut], responses=responses(422))
def audit(request: Request, user: Admin,
          limit: Annotated[int, Query(ge=1, le=1000)] = 100,
          offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> list[AuditOut]:
    """The audit log, newest first: log-ins, launches, resumes, cancels, user changes."""
    with app_state(request).engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log.c.at, audit_log.c.actor, audit_log.c.action,
                                      audit_log.c.target, audit_log.c.reason)
                            .order_by(audit_log.c.id.desc()).limit(limit).offset(offset)).all()
    return [AuditOut(at=a, actor=ac, action=act, target=t, reason=r) for a, ac, act, t, r in rows]
