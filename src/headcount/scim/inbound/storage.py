"""scim2-server's storage for one pushed connector's inbound Users: each document kept in the
repository (repository/scim_users.py), and every write ALSO a pushed record of the connector —
flattened and validated as the push endpoint does (headcount.pushed), stored waiting in the
same transaction. A storage serves one HTTP request: it knows the token, and the pushed
requests it stored, for which the web layer queues one run."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Union

import sqlalchemy as sa
from anyio import to_thread
from scim2_models import (
    InvalidValueException,
    Meta,
    NotFoundException,
    PreconditionFailedException,
    Resource,
    ResourceType,
    ResponseParameters,
    ScimFilter,
    SearchRequest,
    UniquenessException,
)
from scim2_server.storage import AsyncScimStorage, SearchPage
from scim2_server.utils import parametrize

from headcount.config.pushed import COMMAND_COLUMN, ENTERPRISE_USER
from headcount.pushed import PushTarget, read_bulk
from headcount.pushed.bulk import BULK_REQUEST
from headcount.repository import pushed, scim_users
from headcount.repository.database import begin_write
from headcount.repository.pushed import Operation
from headcount.repository.scim_users import StoredUser
from headcount.repository.tokens import ServiceToken

KIND = "scim"  # push_requests.kind of the inbound service's writes
_BOOKKEEPING = ("id", "meta")


class InboundStorage(AsyncScimStorage):
    """The Users of `target`'s connector, written by `token` (None: a storage that only
    describes; every call needs a token)."""

    def __init__(self, engine: sa.Engine, target: PushTarget, model: type[Resource[Any]],
                 token: ServiceToken | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine = engine
        self.target = target
        self.model = model
        self.token = token
        self.clock = clock
        self.connector = target.connector.identifier
        self.reads_user_name = any(p.coarse == "username"
                                   for p in target.connection.paths().values())
        # The pushed requests this HTTP request stored: one run is queued for them all.
        self.requests: list[int] = []

    def serving(self, token: ServiceToken) -> InboundStorage:
        """A storage for one request of `token`."""
        return InboundStorage(self.engine, self.target, self.model, token, self.clock)

    # -- Reads --------------------------------------------------------------

    async def get(self, resource_type: ResourceType, resource_id: str, *,
                  response_parameters: ResponseParameters[Any] | None = None
                  ) -> Resource[Any]:
        return await to_thread.run_sync(self._get, resource_id)

    def _get(self, resource_id: str) -> Resource[Any]:
        with self.engine.connect() as conn:
            found = scim_users.get(conn, self.connector, resource_id)
        if found is None:
            raise NotFoundException(detail=f"no User {resource_id} on connector "
                                           f"{self.connector}")
        return self._resource(found)

    async def search(self, resource_types: list[ResourceType],
                     search_request: SearchRequest[Any], *, position: Any = None
                     ) -> SearchPage:
        return await to_thread.run_sync(self._search, search_request)

    def _search(self, request: SearchRequest[Any]) -> SearchPage:
        # A connector's pushed Users are HR's population, thousands at most: each request
        # filters their documents with scim2-models' own evaluation of the filter.
        with self.engine.connect() as conn:
            users = [self._resource(u) for u in scim_users.every(conn, self.connector)]
        found = users
        if request.filter is not None:
            scim_filter = request.filter
            if not scim_filter.models:
                scim_filter = parametrize(ScimFilter, Union[self.model])(  # noqa: UP007
                    str(scim_filter))
            found = [u for u in users if scim_filter.match(u)]
        if request.sort_by is not None:
            def key(user: Resource[Any]) -> tuple[bool, Any, str]:
                value = request.sort_value(user)
                return value is None, value if value is not None else "", str(user.id)
            found.sort(key=key, reverse=request.sort_order == SearchRequest.SortOrder.descending)
        start = request.start_index_0 or 0
        stop = None if request.count is None else start + request.count
        return SearchPage(len(found), found[start:stop])

    # -- Writes -------------------------------------------------------------

    async def create(self, resource_type: ResourceType, resource: Resource[Any]
                     ) -> Resource[Any]:
        return await to_thread.run_sync(self._create, resource)

    def _create(self, resource: Resource[Any]) -> Resource[Any]:
        now = self.clock()
        document = _document(resource)
        user = StoredUser(uuid.uuid4().hex, _user_name(document), document.get("externalId"),
                          None, document, 1, now, now)
        with begin_write(self.engine) as conn:
            self._unique(conn, user)
            key = self._push(conn, document, None, now)
            user = _keyed(user, key)
            scim_users.insert(conn, self.connector, user)
        return self._resource(user)

    async def update(self, resource_type: ResourceType, resource: Resource[Any], *,
                     expected_version: str | None = None) -> Resource[Any]:
        return await to_thread.run_sync(self._update, resource, expected_version)

    def _update(self, resource: Resource[Any], expected_version: str | None) -> Resource[Any]:
        now = self.clock()
        document = _document(resource)
        with begin_write(self.engine) as conn:
            stored = self._current(conn, str(resource.id), expected_version)
            user = StoredUser(stored.id, _user_name(document), document.get("externalId"),
                              stored.hr_key, document, stored.version + 1, stored.created, now)
            self._unique(conn, user)
            user = _keyed(user, self._push(conn, document, stored.hr_key, now))
            if not scim_users.replace(conn, self.connector, user, stored.version):
                raise PreconditionFailedException(detail=f"User {stored.id} changed meanwhile")
        return self._resource(user)

    async def delete(self, resource_type: ResourceType, resource_id: str, *,
                     expected_version: str | None = None) -> None:
        await to_thread.run_sync(self._delete, resource_id, expected_version)

    def _delete(self, resource_id: str, expected_version: str | None) -> None:
        now = self.clock()
        with begin_write(self.engine) as conn:
            stored = self._current(conn, resource_id, expected_version)
            if stored.hr_key is not None:
                self._store(conn, [_gone(self.target, stored.hr_key, 1)],
                            {"delete": stored.id}, now)
            if not scim_users.delete(conn, self.connector, stored.id, stored.version):
                raise PreconditionFailedException(detail=f"User {stored.id} changed meanwhile")

    # -- Helpers ------------------------------------------------------------

    def _current(self, conn: sa.Connection, user_id: str, expected_version: str | None
                 ) -> StoredUser:
        stored = scim_users.get(conn, self.connector, user_id)
        if stored is None:
            raise NotFoundException(detail=f"no User {user_id} on connector {self.connector}")
        if expected_version is not None and expected_version != _etag(stored.version):
            raise PreconditionFailedException(
                detail=f"User {user_id} is at version {_etag(stored.version)}, not "
                       f"{expected_version}")
        return stored

    def _unique(self, conn: sa.Connection, user: StoredUser) -> None:
        owner = scim_users.owner_of(conn, self.connector, user.user_name)
        if owner is not None and owner != user.id:
            raise UniquenessException(detail=f"userName {user.user_name} is taken on "
                                             f"connector {self.connector} (User {owner})")

    def _push(self, conn: sa.Connection, document: dict[str, Any], old_key: str | None,
              now: datetime) -> str | None:
        """Flatten and validate `document` as the push endpoint does, and store it waiting
        (with the removal of `old_key` when its key changed); the key of its record."""
        body = json.dumps({"schemas": [BULK_REQUEST], "Operations": [
            {"method": "POST", "path": "/Users", "data": self._hr_view(conn, document)}]})
        operation = read_bulk(self.target, body.encode())[0]
        if operation.reason is not None:
            raise InvalidValueException(detail=operation.reason)
        operations = [] if old_key is None or old_key == operation.key else \
            [_gone(self.target, old_key, 1)]
        operations.append(Operation(len(operations) + 1, None, operation.key, operation.row))
        self._store(conn, operations, document, now)
        return operation.key

    def _hr_view(self, conn: sa.Connection, document: dict[str, Any]) -> dict[str, Any]:
        """`document` as HR reads it: a manager named by its SCIM id (RFC 7643 §4.3) is named
        by the key of its HR record, as a push names it; userName, which SCIM requires, left
        out when no column reads it."""
        if not self.reads_user_name:
            document = {k: v for k, v in document.items() if k.lower() != "username"}
        enterprise = next((v for k, v in document.items()
                           if k.lower() == ENTERPRISE_USER.lower()), None)
        manager = enterprise.get("manager") if isinstance(enterprise, dict) else None
        if not isinstance(manager, dict) or not isinstance(manager.get("value"), str):
            return document
        found = scim_users.get(conn, self.connector, manager["value"])
        if found is None or found.hr_key is None:
            return document
        assert isinstance(enterprise, dict)
        return {**document, ENTERPRISE_USER: {
            **{k: v for k, v in enterprise.items() if k != "manager"},
            "manager": {"value": found.hr_key}}}

    def _store(self, conn: sa.Connection, operations: list[Operation], what: Any,
               now: datetime) -> None:
        assert self.token is not None, "a write is made by a token"
        digest = hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()
        self.requests.append(pushed.store_request(
            conn, connector=self.connector, connection=self.target.connection.identifier,
            kind=KIND, token_id=self.token.id, token_label=self.token.label,
            idempotency_key=None, body_sha256=digest, snapshot_id=None,
            operations=operations, now=now))

    def _resource(self, user: StoredUser) -> Resource[Any]:
        resource = self.model.model_validate(user.document)
        resource.id = user.id
        resource.meta = Meta(resource_type="User", created=_utc(user.created),
                             last_modified=_utc(user.last_modified),
                             version=_etag(user.version))
        return resource


def _document(resource: Resource[Any]) -> dict[str, Any]:
    dumped: dict[str, Any] = resource.model_dump(mode="json")
    return {k: v for k, v in dumped.items() if k not in _BOOKKEEPING}


def _user_name(document: dict[str, Any]) -> str:
    name = document.get("userName")
    if not isinstance(name, str) or not name.strip():
        raise InvalidValueException(detail="userName is required")
    return name


def _keyed(user: StoredUser, key: str | None) -> StoredUser:
    return StoredUser(user.id, user.user_name, user.external_id, key, user.document,
                      user.version, user.created, user.last_modified)


def _gone(target: PushTarget, key: str, number: int) -> Operation:
    """The record saying that HR's `key` is gone: an incremental run removes it."""
    return Operation(number, None, key, {target.key_column: key, COMMAND_COLUMN: "delete"})


def _etag(version: int) -> str:
    return f'W/"{version}"'


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
