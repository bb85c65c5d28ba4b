"""`/scim/v2/connectors/{connector}/…`: the inbound SCIM service of each connector of package
`pushed` (docs/scim.md) — scim2-server over the connector's stored Users
(headcount.scim.inbound), behind a service token with the scope `scim` on the connector. Each
HTTP request that wrote queues one incremental run of the connector, which applies the records
its writes pushed."""

from __future__ import annotations

import logging
import threading
from typing import Any, cast

import sqlalchemy as sa
from anyio import to_thread
from scim2_models import NotFoundException, Resource, ScimProvider, UnauthorizedException
from scim2_server.applications.asgi import ASGIApplication, Receive, Scope, Send
from scim2_server.applications.base import BaseApplication
from scim2_server.handler import AsyncScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.routing import Operation
from scim2_server.service import ScimService
from starlette.types import ASGIApp

from headcount.errors import NotFound
from headcount.project import ProjectContext
from headcount.pushed import PushRefused, PushTarget, push_target
from headcount.repository import deployments, tokens
from headcount.repository.database import begin_write
from headcount.repository.schema import deployments as deployments_table
from headcount.repository.tokens import ServiceToken
from headcount.scheduling import PUSH, JobRequest, submit
from headcount.scim.inbound import InboundStorage, inbound_provider

PREFIX = "/scim/v2/connectors"
# Where a write shows up: the pushed requests it stored (their status: docs/push.md) and the
# job run queued to apply them (the Jobs page).
PUSHED_HEADER = "Headcount-Push-Requests"
JOB_RUN_HEADER = "Headcount-Job-Run"


class ConnectorService(ASGIApplication):
    """The service of one pushed connector, as deployed."""

    def __init__(self, ctx: ProjectContext, target: PushTarget, provider: ScimProvider,
                 model: type[Resource[Any]]) -> None:
        # Describes the service unauthenticated (ServiceProviderConfig); a request of a token
        # gets a storage of its own (`serving`).
        self.inbound = InboundStorage(ctx.engine, target, model)
        super().__init__(self.inbound, provider, ScimService(provider))
        self.ctx = ctx
        self.target = target

    async def dispatch_request(self, request: ScimRequest) -> ScimResponse:
        if not self.needs_auth(request):
            return await self.handler.handle(request)
        token = request.subject
        assert isinstance(token, ServiceToken), "authenticated before it is routed"
        storage = self.inbound.serving(token)
        try:
            response = await AsyncScimHandler(self.service, storage).handle(request)
        finally:
            # Even when a later step failed: what was stored waits for its run.
            job_run = await to_thread.run_sync(self._queue, storage, token)
        if job_run is not None:
            response.headers[PUSHED_HEADER] = ", ".join(str(r) for r in storage.requests)
            response.headers[JOB_RUN_HEADER] = str(job_run)
        return response

    def _queue(self, storage: InboundStorage, token: ServiceToken) -> int | None:
        if not storage.requests:
            return None
        return submit(self.ctx, JobRequest(
            self.target.connector.identifier, mode="incremental", trigger=PUSH,
            coalesce=True, actor=token.label))


class InboundApplication:
    """Routes `/{connector}/…` to that connector's service, rebuilt when a reload deploys
    another configuration."""

    def __init__(self, ctx: ProjectContext) -> None:
        self.ctx = ctx
        self._lock = threading.Lock()
        self._deployment: int | None = None
        self._services: dict[str, ConnectorService] = {}
        self.fallback = ConnectorFallback()

    def service(self, connector: str) -> ConnectorService:
        """The service of `connector`; NotFound or PushRefused when it has none."""
        with self.ctx.engine.connect() as conn:
            latest = conn.execute(sa.select(sa.func.max(deployments_table.c.id))).scalar()
            with self._lock:
                if latest != self._deployment:
                    self._services.clear()
                    self._deployment = latest
                found = self._services.get(connector.lower())
                if found is None:
                    _, project = deployments.require_latest(conn)
                    target = push_target(project, connector)
                    provider, model = inbound_provider(target)
                    found = ConnectorService(self.ctx, target, provider, model)
                    self._services[connector.lower()] = found
                return found

    def authenticate(self, request: ScimRequest, connector: str) -> ServiceToken:
        header = request.header("Authorization") or ""
        secret = header[7:].strip() if header.lower().startswith("bearer ") else ""
        with begin_write(self.ctx.engine) as conn:
            token = tokens.authenticate(conn, secret, tokens.SCIM, connector)
        if token is None:
            # The same answer for a missing, unknown, revoked or out-of-scope token.
            raise UnauthorizedException(detail=f"a live service token with scope scim on "
                                               f"connector {connector} is needed")
        return token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        root = str(scope.get("root_path", ""))
        path = str(scope["path"])
        rest = path.removeprefix(root) if root and path.startswith(root) else path
        connector, _, inner = rest.strip("/").partition("/")
        base = ASGIApplication.get_base_url(scope).removesuffix("/v2")
        request = ScimRequest(method=scope["method"], base_url=f"{base}/{connector}",
                              path=f"/{inner}", query={}, headers=[
                                  (name.decode(), value.decode())
                                  for name, value in scope["headers"]])
        try:
            if not connector:
                raise NotFoundException(detail="the URL names no connector: "
                                               f"{PREFIX}/CONNECTOR/Users")
            if ScimService.match(request).operation is not Operation.service_provider_config:
                request.subject = await to_thread.run_sync(self.authenticate, request,
                                                           connector)
            service = await to_thread.run_sync(self.service, connector)
        except (NotFound, PushRefused) as exc:
            await self.fallback.answer(request, NotFoundException(detail=str(exc)), send)
            return
        except Exception as exc:
            await self.fallback.answer(request, exc, send)
            return
        # The query and body as the connector's service reads them (bulk: its size limit),
        # the connector's URL being its root.
        full = await service.read_request({**scope, "path": f"/{inner}", "root_path": ""},
                                          receive)
        full.base_url, full.subject = request.base_url, request.subject
        await service.send_response(await service.serve(full), send)


class ConnectorFallback(BaseApplication):
    """Answers in SCIM's error format before a connector's service is known."""

    def __init__(self) -> None:
        super().__init__(ScimProvider())
        self.log = logging.getLogger("headcount.scim")

    async def answer(self, request: ScimRequest, exc: Exception, send: Send) -> None:
        response = self.finalize_response(request, self.handle_exception(request, exc))
        await ASGIApplication.send_response(response, send)


def application(ctx: ProjectContext) -> ASGIApp:
    # scim2-server types its ASGI callable with plain dicts, Starlette with mappings.
    return cast(ASGIApp, InboundApplication(ctx))

