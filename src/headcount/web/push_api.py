"""Pushed HR records over HTTPS (docs/push.md): `POST /api/push/{connector}/bulk` takes SCIM bulk
requests as Microsoft Entra's API-driven inbound provisioning sends them, `…/records` JSON lines;
each operation is validated at once and the answer lists accepted and rejected ones; accepted
records wait for the connector's next run, queued here. `GET …/requests/{id}` follows them until
applied. A service token with the scope `push` on the connector is the only door."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from headcount.errors import NotFound
from headcount.project import ProjectContext
from headcount.pushed import (
    PushRefused,
    PushTarget,
    PushTargets,
    push_target,
    read_bulk,
    read_lines,
)
from headcount.repository import pushed, tokens
from headcount.repository.database import begin_write
from headcount.repository.pushed import Operation, SnapshotClosed
from headcount.repository.tokens import ServiceToken
from headcount.scheduling import PUSH, JobRequest, submit
from headcount.scheduling.submission import join_queued
from headcount.web.api.timestamps import utc
from headcount.web.auth import app_state
from headcount.web.tokenauth import bearer, service_token, unauthorized

# Machines speaking SCIM (its error bodies, not the REST API's one error model): documented in
# docs/push.md, left out of the REST API's OpenAPI.
router = APIRouter(prefix="/api/push", tags=["push"], include_in_schema=False)
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
IDEMPOTENCY = "Idempotency-Key"
Token = Annotated[ServiceToken, Depends(service_token("push"))]


# The two receiving routes check their token themselves, in the one worker-thread call that
# does the rest: each hop between the event loop and a thread costs more than the check (the
# bench measured 8 ms a request for two hops on a busy machine).
@router.post("/{connector}/bulk", status_code=202)
async def bulk(connector: str, request: Request, snapshot: str | None = None) -> JSONResponse:
    """A SCIM BulkRequest (`POST /Users` operations, at most the connection's
    `max_operations`); `?snapshot=NAME` makes it part of a full snapshot. Bearer service token
    with the scope `push` on the connector."""
    body = await request.body()
    return await run_in_threadpool(_receive, request, connector, "bulk", snapshot, body)


@router.post("/{connector}/records", status_code=202)
async def records(connector: str, request: Request, snapshot: str | None = None
                  ) -> JSONResponse:
    """JSON lines (`application/x-ndjson`): one flat object per line, keys the column names.
    Bearer service token with the scope `push` on the connector."""
    body = await request.body()
    return await run_in_threadpool(_receive, request, connector, "records", snapshot, body)


@router.get("/{connector}/requests/{request_id}")
def request_status(connector: str, request_id: int, request: Request, token: Token
                   ) -> JSONResponse:
    """Each operation of a request: rejected (why), waiting, applied by run N, set aside by run
    N (why) or blocked in run N."""
    try:
        target = push_target(app_state(request).project(), connector)
        with app_state(request).engine.connect() as conn:
            found = pushed.request_status(conn, target.connector.identifier, request_id)
    except (NotFound, PushRefused) as exc:
        return _error(exc)
    return JSONResponse(_jsonable(found))


@router.post("/{connector}/snapshots/{name}/complete", status_code=202)
def complete(connector: str, name: str, request: Request, token: Token) -> JSONResponse:
    """The snapshot's requests are the whole population: a complete run applies it, and the
    people absent from it become leavers through the deletion thresholds."""
    state = app_state(request)
    try:
        target = push_target(state.project(), connector)
        with begin_write(state.engine) as conn:
            snapshot_id, count = pushed.complete_snapshot(
                conn, target.connector.identifier, name, datetime.now(UTC))
    except (NotFound, PushRefused, SnapshotClosed) as exc:
        return _error(exc)
    job_run = submit(ProjectContext(state.project_dir, state.engine), JobRequest(
        target.connector.identifier, mode="complete", trigger=PUSH, actor=token.label,
        reason=f"full snapshot {name}"))
    return JSONResponse({"snapshot": name, "id": snapshot_id, "records": count,
                         "jobRun": job_run}, status_code=202)


def _receive(request: Request, connector: str, kind: str, snapshot: str | None, body: bytes
             ) -> JSONResponse:
    state = app_state(request)
    key = request.headers.get(IDEMPOTENCY)
    digest = hashlib.sha256(f"{kind}\n{snapshot or ''}\n".encode() + body).hexdigest()
    # One read before any write: the token (its use is stamped in the write transaction), the
    # configuration deployed (parsed again only when a new one is) and an answer given already.
    with state.engine.connect() as conn:
        token = tokens.find(conn, bearer(request), "push", connector)
        if token is None:
            raise unauthorized("push", connector)
        try:
            target = _targets(request).get(conn, connector)
        except (NotFound, PushRefused) as exc:
            return _refused(state.engine, token, exc)
        limit = target.connection.max_payload_bytes
        if len(body) > limit:
            return _refused(state.engine, token, PushRefused(
                f"the body holds {len(body):,} bytes: at most {limit:,}", 413, "tooLarge"))
        replay = None if key is None else \
            _replay(conn, target.connector.identifier, key, digest)
    if replay is not None:
        return replay
    try:
        operations = read_bulk(target, body) if kind == "bulk" else read_lines(target, body)
    except PushRefused as exc:
        return _refused(state.engine, token, exc)
    return _accept(request, target, token, kind, snapshot, operations, key, digest)


def _targets(request: Request) -> PushTargets:
    # One per app (its engine, its deployments), made by the first push it receives.
    found: PushTargets | None = getattr(request.app.state, "push_targets", None)
    if found is None:
        found = request.app.state.push_targets = PushTargets()
    return found


def _refused(engine: sa.Engine, token: ServiceToken, exc: Exception) -> JSONResponse:
    with begin_write(engine) as conn:
        tokens.stamp_use(conn, token)  # used, even to no avail
    return _error(exc)


def _accept(request: Request, target: PushTarget, token: ServiceToken, kind: str,
            snapshot: str | None, operations: list[Operation], key: str | None, digest: str
            ) -> JSONResponse:
    state = app_state(request)
    cid = target.connector.identifier
    now = datetime.now(UTC)
    accepted = sum(op.reason is None for op in operations)
    code = 202 if accepted else 200
    queue = bool(accepted) and snapshot is None
    try:
        with begin_write(state.engine) as conn:
            tokens.stamp_use(conn, token)
            snapshot_id = None if snapshot is None else \
                pushed.open_snapshot(conn, cid, snapshot, now)
            request_id = pushed.new_request_id(conn)
            location = f"/api/push/{cid}/requests/{request_id}"
            answer = _answer(kind, request_id, location, snapshot, operations)
            # Kept for a repeated idempotency key, with the request in one insert; the job run
            # is named live only.
            pushed.store_request(
                conn, connector=cid, connection=target.connection.identifier, kind=kind,
                token_id=token.id, token_label=token.label, idempotency_key=key,
                body_sha256=digest, snapshot_id=snapshot_id, operations=operations, now=now,
                request_id=request_id, answer=(code, json.dumps(answer)))
            # A job run queued and not started reads these records too: join it (the rest of
            # a burst of pushes waits for one run, not one each).
            joined = join_queued(conn, cid, PUSH) if queue else None
    except SnapshotClosed as exc:
        return _error(exc)
    except sa.exc.IntegrityError:
        # The same key, sent twice at once: the other request was stored first.
        with state.engine.connect() as conn:
            replay = _replay(conn, cid, key or "", digest)
        if replay is None:
            raise
        return replay
    if queue:
        # Queued after the commit: its run must find the records.
        answer["jobRun"] = joined if joined is not None else submit(
            ProjectContext(state.project_dir, state.engine), JobRequest(
                cid, mode="incremental", trigger=PUSH, coalesce=True, actor=token.label))
    return JSONResponse(answer, status_code=code, headers={"Location": location})


def _replay(conn: sa.Connection, connector: str, key: str, digest: str) -> JSONResponse | None:
    found = pushed.answered(conn, connector, key)
    if found is None or not found.status_code:
        return None
    if found.body_sha256 != digest:
        return _error(PushRefused(f"the {IDEMPOTENCY} {key} was sent with another body (request "
                                  f"{found.request_id}): a new request needs a new key", 422,
                                  "uniqueness"))
    return JSONResponse(found.response, status_code=found.status_code,
                        headers={"Location": str(found.response.get("location", ""))})


def _answer(kind: str, request_id: int, location: str, snapshot: str | None,
            operations: list[Operation]) -> dict[str, Any]:
    out: list[dict[str, Any]] = []
    for op in operations:
        entry: dict[str, Any] = {"method": "POST", "bulkId": op.bulk_id} if kind == "bulk" \
            else {"line": op.number}
        entry["operation"] = op.number
        if op.reason is None:
            entry |= {"status": "202", "key": op.key}
        else:
            entry |= {"status": "400", "response": {
                "schemas": [SCIM_ERROR], "status": "400", "scimType": "invalidValue",
                "detail": op.reason}}
        out.append(entry)
    accepted = sum(op.reason is None for op in operations)
    return {"schemas": [BULK_RESPONSE], "id": request_id, "location": location,
            "jobRun": None, "snapshot": snapshot, "accepted": accepted,
            "rejected": len(operations) - accepted, "Operations": out}


def _error(exc: Exception) -> JSONResponse:
    status = exc.status if isinstance(exc, PushRefused) else 404 if isinstance(exc, NotFound) \
        else 409
    scim_type = exc.scim_type if isinstance(exc, PushRefused) else None
    body: dict[str, Any] = {"schemas": [SCIM_ERROR], "status": str(status), "detail": str(exc)}
    if scim_type:
        body["scimType"] = scim_type
    return JSONResponse(body, status_code=status)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return utc(value).isoformat().replace("+00:00", "Z")  # RFC 3339, as the API speaks
    return value
