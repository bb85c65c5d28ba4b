"""scim2-server's storage over the repository: reads through the identity view in a worker
thread (the database calls block), writes refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from anyio import to_thread
from scim2_models import (
    ForbiddenException,
    Resource,
    ResourceType,
    ResponseParameters,
    SearchRequest,
)
from scim2_server.storage import AsyncScimStorage, SearchPage

from headcount.scim.service import READ_ONLY
from headcount.scim.view import IdentityView


class IdentityStorage(AsyncScimStorage):
    """`view` gives the identity view of the deployed configuration (it follows reloads)."""

    def __init__(self, engine: sa.Engine, view: Callable[[], IdentityView]) -> None:
        self.engine = engine
        self.view = view

    async def get(self, resource_type: ResourceType, resource_id: str, *,
                  response_parameters: ResponseParameters[Any] | None = None
                  ) -> Resource[Any]:
        def read() -> Resource[Any]:
            with self.engine.connect() as conn:
                return self.view().get(conn, resource_id)
        return await to_thread.run_sync(read)

    async def search(self, resource_types: list[ResourceType],
                     search_request: SearchRequest[Any], *, position: Any = None
                     ) -> SearchPage:
        def read() -> SearchPage:
            with self.engine.connect() as conn:
                total, users = self.view().search(conn, search_request)
            return SearchPage(total, list(users))
        return await to_thread.run_sync(read)

    async def create(self, resource_type: ResourceType, resource: Resource[Any]
                     ) -> Resource[Any]:
        raise ForbiddenException(detail=READ_ONLY)

    async def update(self, resource_type: ResourceType, resource: Resource[Any], *,
                     expected_version: str | None = None) -> Resource[Any]:
        raise ForbiddenException(detail=READ_ONLY)

    async def delete(self, resource_type: ResourceType, resource_id: str, *,
                     expected_version: str | None = None) -> None:
        raise ForbiddenException(detail=READ_ONLY)
