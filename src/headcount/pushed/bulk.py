"""SCIM bulk requests as Microsoft Entra's API-driven inbound provisioning sends them
(`urn:ietf:params:scim:api:messages:2.0:BulkRequest`: each operation `POST /Users` with its
`bulkId` and the user in `data`), read into one validated operation per record. A malformed
operation is rejected in its own status; only a request that is no bulk request at all is
refused whole."""

from __future__ import annotations

import json
from typing import Any

from headcount.pushed.errors import PushRefused
from headcount.pushed.scim import AttributeProblem
from headcount.pushed.target import PushTarget
from headcount.pushed.validation import invalid_values
from headcount.repository.pushed import Operation

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def read_bulk(target: PushTarget, body: bytes) -> list[Operation]:
    """The operations of a bulk request, each accepted (its row) or rejected (why)."""
    document = _document(body)
    schemas = document.get("schemas")
    if not isinstance(schemas, list) or BULK_REQUEST not in schemas:
        raise PushRefused(f"a bulk request names the schema {BULK_REQUEST} in `schemas`",
                          400, "invalidValue")
    operations = document.get("Operations")
    if not isinstance(operations, list) or not operations:
        raise PushRefused("a bulk request carries its records in `Operations`, a non-empty "
                          "list", 400, "invalidValue")
    limit = target.connection.max_operations
    if len(operations) > limit:
        raise PushRefused(f"{len(operations):,} operations: at most {limit:,} per request",
                          413, "tooMany")
    flattener = target.flattener
    reject_unknown = target.connection.unknown_attributes == "reject"
    rows: list[dict[str, str | None]] = []
    read: list[tuple[int, str | None, str | None]] = []  # number, bulkId, reason
    for number, operation in enumerate(operations, start=1):
        bulk_id = operation.get("bulkId") if isinstance(operation, dict) else None
        bulk_id = str(bulk_id) if bulk_id is not None else None
        row: dict[str, str | None] = {}
        reason = _malformed(operation)
        if reason is None:
            data = operation["data"]
            try:
                row = flattener.row(data)
            except AttributeProblem as problem:
                reason = str(problem)
            if reason is None and reject_unknown:
                unknown = flattener.unknown(data)
                if unknown:
                    reason = ("unknown attribute " + ", ".join(unknown)
                              + f": no column of {target.connection.identifier} reads it")
        rows.append(row)
        read.append((number, bulk_id, reason))
    checked = [i for i, (_, _, reason) in enumerate(read) if reason is None]
    problems = invalid_values(target, [rows[i] for i in checked],
                              lambda c: target.connection.attributes[c])
    for position, i in enumerate(checked):
        if position in problems:
            number, bulk_id, _ = read[i]
            read[i] = (number, bulk_id, problems[position])
    out = []
    for (number, bulk_id, reason), row in zip(read, rows, strict=True):
        key = row.get(target.key_column) if reason is None else None
        out.append(Operation(number, bulk_id, key, row if reason is None else None, reason))
    return out


def _document(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PushRefused(f"the body is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise PushRefused("the body is not a JSON object")
    return document


def _malformed(operation: Any) -> str | None:
    if not isinstance(operation, dict):
        return "an operation is a JSON object"
    method = str(operation.get("method", "")).upper()
    if method != "POST":
        return (f"method {method or '(none)'} is not taken: POST, which creates or updates the "
                "person (as Entra sends it)")
    path = str(operation.get("path", ""))
    if path.rstrip("/").lower() != "/users":
        return f"path {path or '(none)'} is not taken: /Users"
    if not isinstance(operation.get("data"), dict):
        return "`data` holds the user, a JSON object"
    return None
