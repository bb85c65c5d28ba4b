"""Pushed HR records in the repository (docs/push.md): requests and their operations as
received, the records a run reads (those waiting at its start, newest per key winning), their
marking as applied by the run that applied them, and each operation's status."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
import sqlalchemy as sa

from headcount.connections.reader import LINE
from headcount.errors import NotFound, SourceError
from headcount.repository.bulk import insert_rows, reserve_ids
from headcount.repository.database import is_sqlite
from headcount.repository.schema import (
    push_operations,
    push_requests,
    push_snapshots,
    resources,
    set_aside,
)
from headcount.repository.schema import runs as runs_table

REJECTED = "rejected"
WAITING = "waiting"
APPLIED = "applied"
BLOCKED_RUN = "blocked"
# PostgreSQL: one writer of a connector's operations at a time, so that the ids of a request's
# operations are consecutive (a row's line is its operation's id; the number is the offset).
_LOCK_BASE = 0x5055_5348


@dataclass(frozen=True)
class Operation:
    """One record of a request as validated: its row when accepted, why not otherwise."""

    number: int
    bulk_id: str | None
    key: str | None
    row: Mapping[str, str | None] | None
    reason: str | None = None


@dataclass(frozen=True)
class StoredAnswer:
    request_id: int
    body_sha256: str
    status_code: int
    response: dict[str, Any]


@dataclass(frozen=True)
class Pending:
    """What a run reads of a pushed connection: the records as a table of the connection's
    columns (`LINE`: each record's operation id), the requests they came from as (request,
    first operation id, last operation id, token label), and a digest of what was read."""

    frame: pl.DataFrame
    requests: list[tuple[int, int, int, str]]
    snapshot: int | None
    digest: str


def answered(conn: sa.Connection, connector: str, idempotency_key: str) -> StoredAnswer | None:
    """The answer given to the request of `connector` that carried `idempotency_key`."""
    found = conn.execute(sa.select(push_requests.c.id, push_requests.c.body_sha256,
                                   push_requests.c.status_code, push_requests.c.response)
                         .where(push_requests.c.connector == connector,
                                push_requests.c.idempotency_key == idempotency_key)).first()
    if found is None:
        return None
    return StoredAnswer(found.id, found.body_sha256, found.status_code,
                        json.loads(found.response))


def new_request_id(conn: sa.Connection) -> int:
    """An id for the request the caller stores next in its write transaction: its answer, which
    names it, can then be stored with it in one insert."""
    return reserve_ids(conn, push_requests, 1)[0]


def store_request(conn: sa.Connection, *, connector: str, connection: str, kind: str,
                  token_id: int, token_label: str, idempotency_key: str | None,
                  body_sha256: str, snapshot_id: int | None, operations: Sequence[Operation],
                  now: datetime, request_id: int | None = None,
                  answer: tuple[int, str] | None = None) -> int:
    """Record a request and its operations (accepted ones waiting); its id. The answer (status
    code, JSON body) is stored with it when given — under `request_id`, from `new_request_id`
    — or set by `set_answer` once known (it names the id)."""
    if not is_sqlite(conn):
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_BASE)))
    status_code, response = answer or (0, "{}")
    values = dict(connector=connector, connection=connection, kind=kind, token_id=token_id,
                  token_label=token_label, received_at=now, idempotency_key=idempotency_key,
                  body_sha256=body_sha256, snapshot_id=snapshot_id, operations=len(operations),
                  accepted=sum(op.reason is None for op in operations),
                  status_code=status_code, response=response)
    if request_id is None:
        request_id = _inserted(conn.execute(sa.insert(push_requests).values(**values)))
    else:
        conn.execute(sa.insert(push_requests).values(id=request_id, **values))
    columns = ["request_id", "connector", "number", "bulk_id", "key", "state", "reason", "row"]
    rows = [(request_id, connector, op.number, op.bulk_id, op.key,
             REJECTED if op.reason is not None else WAITING, op.reason,
             None if op.row is None else json.dumps(op.row, ensure_ascii=False))
            for op in operations]
    if is_sqlite(conn):
        # One statement for the request's rows (SQLite numbers them one after the other, in the
        # write transaction the caller holds): executemany steps once per row, and each step
        # hands the interpreter lock to the process's other threads (a run under way).
        marks = ", ".join(["(" + ", ".join("?" * len(columns)) + ")"] * len(rows))
        conn.exec_driver_sql(f"INSERT INTO push_operations ({', '.join(columns)}) VALUES {marks}",
                             tuple(value for row in rows for value in row))
    else:
        ids = reserve_ids(conn, push_operations, len(operations))
        insert_rows(conn, "push_operations", ["id", *columns],
                    ((i, *row) for i, row in zip(ids, rows, strict=True)))
    return request_id


def set_answer(conn: sa.Connection, request_id: int, status_code: int,
               response: Mapping[str, Any]) -> None:
    conn.execute(sa.update(push_requests).where(push_requests.c.id == request_id)
                 .values(status_code=status_code, response=json.dumps(response)))


def open_snapshot(conn: sa.Connection, connector: str, name: str, now: datetime) -> int:
    """The id of snapshot `name` of `connector`, opened now if new; a completed one takes no
    more requests."""
    found = conn.execute(sa.select(push_snapshots.c.id, push_snapshots.c.completed_at)
                         .where(push_snapshots.c.connector == connector,
                                push_snapshots.c.name == name)).first()
    if found is None:
        return _inserted(conn.execute(sa.insert(push_snapshots).values(
            connector=connector, name=name, opened_at=now)))
    if found.completed_at is not None:
        raise SnapshotClosed(f"snapshot {name} of {connector} is complete already: a new "
                             "snapshot needs a new name")
    return int(found.id)


def complete_snapshot(conn: sa.Connection, connector: str, name: str, now: datetime
                      ) -> tuple[int, int]:
    """Mark snapshot `name` complete: (its id, the records it holds)."""
    found = conn.execute(sa.select(push_snapshots.c.id, push_snapshots.c.completed_at)
                         .where(push_snapshots.c.connector == connector,
                                push_snapshots.c.name == name)).first()
    if found is None:
        raise NotFound(f"no snapshot {name} of {connector}: send its requests with "
                       f"?snapshot={name} first")
    if found.completed_at is not None:
        raise SnapshotClosed(f"snapshot {name} of {connector} is complete already")
    conn.execute(sa.update(push_snapshots).where(push_snapshots.c.id == found.id)
                 .values(completed_at=now))
    records = conn.execute(
        sa.select(sa.func.count()).select_from(push_operations.join(
            push_requests, push_requests.c.id == push_operations.c.request_id))
        .where(push_requests.c.snapshot_id == found.id,
               push_operations.c.state == WAITING)).scalar_one()
    return int(found.id), int(records)


def _inserted(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


class SnapshotClosed(SourceError):
    """A request names a snapshot that is complete already."""


def pending(conn: sa.Connection, connector: str, complete: bool, entity_types: Sequence[str],
            columns: Sequence[str]) -> Pending:
    """The records a run of `connector` reads, as a table of `columns`: every accepted record
    waiting now, newest per key winning. A complete run reads the oldest completed snapshot
    not yet applied — the whole population — with the waiting records outside any snapshot;
    the first load of an empty connector needs none."""
    snapshot: int | None = None
    holds = conn.execute(sa.select(resources.c.id).where(
        resources.c.entity_type.in_(entity_types)).limit(1)).first() is not None
    if complete and holds:
        snapshot = conn.execute(
            sa.select(push_snapshots.c.id)
            .where(push_snapshots.c.connector == connector,
                   push_snapshots.c.completed_at.is_not(None), push_snapshots.c.run_id.is_(None))
            .order_by(push_snapshots.c.id).limit(1)).scalar()
        if snapshot is None:
            raise SourceError(f"the records of {connector} are pushed: a complete run reads a "
                              "full snapshot, and none is complete (send one with "
                              "?snapshot=NAME, then POST …/snapshots/NAME/complete)")
    in_scope = push_requests.c.snapshot_id.is_(None) if snapshot is None else sa.or_(
        push_requests.c.snapshot_id.is_(None), push_requests.c.snapshot_id == snapshot)
    found = conn.execute(
        sa.select(push_operations.c.id, push_operations.c.request_id, push_operations.c.key,
                  push_operations.c.row, push_requests.c.token_label)
        .join(push_requests, push_requests.c.id == push_operations.c.request_id)
        .where(push_operations.c.connector == connector, push_operations.c.state == WAITING,
               in_scope)
        .order_by(push_operations.c.id)).all()
    spans: dict[int, list[Any]] = {}
    newest: dict[str | None, int] = {}  # key → its newest record's place in `found`
    for place, (op_id, request_id, key, _, label) in enumerate(found):
        newest[key] = place
        span = spans.setdefault(request_id, [request_id, op_id, op_id, label])
        span[2] = op_id
    # The newest record of each key, in the order of the newest; the rows' JSON decoded in one
    # pass (a run reads thousands).
    kept = [found[place] for place in sorted(newest.values())]
    ops = pl.DataFrame({LINE: [r[0] for r in kept], "row": [r[3] for r in kept]},
                       schema={LINE: pl.Int64, "row": pl.String})
    digest = hashlib.sha256()
    for op_id, _, _, text, _ in kept:
        digest.update(f"{op_id}\t{text}\n".encode())
    rows = ops.get_column("row").str.json_decode(
        pl.Struct(dict.fromkeys(columns, pl.String))).struct.unnest()
    return Pending(rows.with_columns(ops.get_column(LINE)),
                   [(int(s[0]), int(s[1]), int(s[2]), str(s[3])) for s in spans.values()],
                   snapshot, digest.hexdigest())


def mark_applied(conn: sa.Connection, run_id: int, files: Iterable[Mapping[str, Any]]) -> None:
    """In the run's apply transaction: the records it read are applied by it."""
    for info in files:
        requests = [int(r[0]) for r in info.get("pushed") or []]
        for start in range(0, len(requests), 500):
            conn.execute(sa.update(push_operations)
                         .where(push_operations.c.request_id.in_(requests[start:start + 500]),
                                push_operations.c.state == WAITING)
                         .values(state=APPLIED, run_id=run_id))
        if info.get("snapshot") is not None:
            conn.execute(sa.update(push_snapshots)
                         .where(push_snapshots.c.id == int(info["snapshot"]))
                         .values(run_id=run_id))


def request_status(conn: sa.Connection, connector: str, request_id: int) -> dict[str, Any]:
    """A request and the status of each of its operations: rejected (why), waiting, applied by
    run N, set aside by run N (why) or blocked in run N."""
    request = conn.execute(sa.select(push_requests).where(
        push_requests.c.id == request_id, push_requests.c.connector == connector)).first()
    if request is None:
        raise NotFound(f"no pushed request {request_id} for connector {connector}")
    ops = conn.execute(sa.select(push_operations.c.id, push_operations.c.number,
                                 push_operations.c.bulk_id, push_operations.c.key,
                                 push_operations.c.state, push_operations.c.reason,
                                 push_operations.c.run_id)
                       .where(push_operations.c.request_id == request_id)
                       .order_by(push_operations.c.number)).all()
    applied_by = {op.run_id for op in ops if op.run_id is not None}
    aside: dict[int, str] = {}
    if applied_by:
        aside = {int(line): reason for line, reason in conn.execute(
            sa.select(set_aside.c.line, set_aside.c.reason)
            .where(set_aside.c.run_id.in_(applied_by),
                   set_aside.c.connection == request.connection,
                   set_aside.c.line.between(ops[0].id, ops[-1].id)))}
    blocked = _blocked_run(conn, connector, request_id) \
        if any(op.state == WAITING for op in ops) else None
    out = []
    for op in ops:
        entry: dict[str, Any] = {"operation": op.number, "bulkId": op.bulk_id, "key": op.key}
        if op.state == REJECTED:
            entry |= {"status": REJECTED, "detail": op.reason}
        elif op.state == APPLIED and op.id in aside:
            entry |= {"status": "set aside", "run": op.run_id,
                      "detail": f"set aside by run {op.run_id}: {aside[op.id]}"}
        elif op.state == APPLIED:
            entry |= {"status": APPLIED, "run": op.run_id,
                      "detail": f"applied by run {op.run_id}"}
        elif blocked is not None:
            entry |= {"status": BLOCKED_RUN, "run": blocked,
                      "detail": f"blocked in run {blocked}: waits for its resume"}
        else:
            entry |= {"status": WAITING, "detail": "waiting for a run"}
        out.append(entry)
    snapshot = None if request.snapshot_id is None else conn.execute(
        sa.select(push_snapshots.c.name).where(push_snapshots.c.id == request.snapshot_id)
    ).scalar()
    return {"id": request.id, "connector": request.connector, "kind": request.kind,
            "pushedBy": request.token_label, "receivedAt": request.received_at,
            "snapshot": snapshot, "operations": request.operations,
            "accepted": request.accepted, "Operations": out}


def _blocked_run(conn: sa.Connection, connector: str, request_id: int) -> int | None:
    # The last runs of the connector name the requests they read in their job result.
    for run_id, state, files in conn.execute(
            sa.select(runs_table.c.id, runs_table.c.state, runs_table.c.files)
            .where(runs_table.c.connector == connector, runs_table.c.dry_run.is_(False))
            .order_by(runs_table.c.id.desc()).limit(20)):
        for info in json.loads(files or "[]"):
            if any(int(r[0]) == request_id for r in info.get("pushed") or []):
                return int(run_id) if state == "blocked" else None
    return None
