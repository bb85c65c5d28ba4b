"""The machine endpoints' door (agents, pushed records, SCIM): a service token in the
`Authorization: Bearer` header, with the scope the route needs on the connector it names. A
missing, unknown, revoked or out-of-scope token gets the same 401, so that a caller learns
nothing about tokens it does not hold."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import HTTPException, Request, status

from headcount.repository import tokens
from headcount.repository.database import begin_write
from headcount.repository.tokens import ServiceToken
from headcount.web.auth import app_state


def bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


def check_service_token(request: Request, scope: str, connector: str | None) -> ServiceToken:
    """The token of `request`, which must have `scope` (on `connector`); 401 otherwise."""
    with begin_write(app_state(request).engine) as conn:
        token = tokens.authenticate(conn, bearer(request), scope, connector)
    if token is None:
        raise unauthorized(scope, connector)
    return token


def unauthorized(scope: str, connector: str | None) -> HTTPException:
    """The one 401 of every refused token, whatever the check it failed."""
    return HTTPException(status.HTTP_401_UNAUTHORIZED,
                         f"a live service token with scope {scope}"
                         + (f" on connector {connector}" if connector else "")
                         + " is needed", headers={"WWW-Authenticate": "Bearer"})


def service_token(scope: str) -> Callable[[Request], ServiceToken]:
    """A dependency: the request's service token with `scope`, on the route's `{connector}`
    path parameter when it has one."""

    def check(request: Request) -> ServiceToken:
        return check_service_token(request, scope, request.path_params.get("connector"))

    return check
