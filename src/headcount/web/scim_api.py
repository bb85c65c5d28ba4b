"""`/scim/v2/…`: the read-only SCIM view of the identities (docs/scim.md), scim2-server's ASGI
application mounted in the app, behind a service token with the scope `identities:read`."""

from __future__ import annotations

import logging
import threading
from typing import cast

import sqlalchemy as sa
from anyio import to_thread
from scim2_models import UnauthorizedException
from scim2_server.applications.asgi import ASGIApplication
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from starlette.types import ASGIApp

from headcount.repository import deployments, tokens
from headcount.repository.database import begin_write
from headcount.repository.schema import deployments as deployments_table
from headcount.repository.tokens import ServiceToken
from headcount.scim import IdentityStorage, IdentityView, ReadOnlyService, provider

PREFIX = "/scim"
LOG = logging.getLogger("headcount.scim")


class IdentityViews:
    """The identity view of the latest deployment, rebuilt when a reload deploys another."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._deployment: int | None = None
        self._view: IdentityView | None = None

    def __call__(self) -> IdentityView:
        with self.engine.connect() as conn:
            latest = conn.execute(sa.select(sa.func.max(deployments_table.c.id))).scalar()
            with self._lock:
                if self._view is None or latest != self._deployment:
                    deployment, project = deployments.require_latest(conn)
                    self._view = IdentityView(project, self.engine.dialect.name)
                    self._deployment = deployment
                    for problem in self._view.problems:
                        LOG.warning("the SCIM view leaves an attribute out: %s", problem)
                return self._view


class ScimApplication(ASGIApplication):
    def __init__(self, engine: sa.Engine) -> None:
        scim_provider = provider()
        super().__init__(IdentityStorage(engine, IdentityViews(engine)), scim_provider,
                         ReadOnlyService(scim_provider))
        self.engine = engine

    async def dispatch_request(self, request: ScimRequest) -> ScimResponse:
        # The token is checked (and its use stamped) in a worker thread: it is a database
        # write, which must not block the event loop.
        if self.needs_auth(request):
            request.subject = await to_thread.run_sync(self.authenticate, request)
        return await self.handler.handle(request)

    def authenticate(self, request: ScimRequest) -> ServiceToken:
        header = request.header("Authorization") or ""
        secret = header[7:].strip() if header.lower().startswith("bearer ") else ""
        with begin_write(self.engine) as conn:
            token = tokens.authenticate(conn, secret, tokens.IDENTITIES_READ, None)
        if token is None:
            # The same answer for a missing, unknown, revoked or out-of-scope token.
            raise UnauthorizedException(detail="a live service token with scope "
                                               "identities:read is needed")
        return token


def application(engine: sa.Engine) -> ASGIApp:
    # scim2-server types its ASGI callable with plain dicts, Starlette with mappings.
    return cast(ASGIApp, ScimApplication(engine))
