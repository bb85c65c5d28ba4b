"""Values written by people rather than by a file or a rule: a manual edit, an approved
reconciliation. Each write is a run of the resource's connector (mode `manual` or
`reconciliation`), so that the history names it, the job result shows it, and the connector's
version moves on (its lists and snapshots are rebuilt)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import polars as pl
import sqlalchemy as sa

from headcount.config.model import Connector, EntityType
from headcount.repository import deployments, runs
from headcount.repository.apply import apply_changes, record_changes
from headcount.repository.locks import connector_lock as connector_lock
from headcount.repository.naming import Naming
from headcount.repository.schema import connector_state, resources
from headcount.sync.changes import LINK_SCHEMA, RESOURCE_SCHEMA, ChangeSet
from headcount.sync.prepare import text_hashes

# property → (before, after), per resource key
Updates = Mapping[str, Mapping[str, tuple[Any, Any]]]


def current_values(conn: sa.Connection, entity_type: str, key: str) -> dict[str, Any] | None:
    data = conn.execute(sa.select(resources.c.data).where(
        resources.c.entity_type == entity_type, resources.c.key == key)).scalar()
    return None if data is None else dict(json.loads(data))


def write_run(conn: sa.Connection, connector: Connector, et: EntityType, updates: Updates,
              mode: str, reason: str | None, actor: str, provenance: str) -> int:
    """Record a run of `connector` that updates these resources' values, apply it and move the
    connector's version on; in `conn`'s transaction. The caller holds the connector's lock."""
    runs.ensure_connector(conn, connector.identifier)
    deployment_id, project = deployments.require_latest(conn)
    run_id, _ = runs.start_run(conn, connector.identifier, mode, mode, False, False, reason,
                               deployment_id)
    changes = _change_set(conn, et, updates, provenance)
    record_changes(conn, changes, run_id)
    apply_changes(conn, changes, run_id, Naming(project))
    conn.execute(sa.update(connector_state)
                 .where(connector_state.c.connector == connector.identifier)
                 .values(version=connector_state.c.version + 1))
    lines = [("info", f"{et.identifier} {key}: {', '.join(sorted(values))} changed by {actor} "
                      f"({mode})") for key, values in updates.items()]
    if reason:
        lines.append(("info", f"reason: {reason}"))
    runs.add_logs(conn, run_id, lines)
    n = changes.resources.height
    runs.finish_run(conn, run_id, runs.SUCCEEDED, None, counters={
        "updated": n, "per_entity_type": {et.identifier: {"updated": n}} if n else {}})
    return run_id


def _change_set(conn: sa.Connection, et: EntityType, updates: Updates, provenance: str
                ) -> ChangeSet:
    names = [p.identifier for p in et.scalar_properties]
    rows: list[dict[str, Any]] = []
    for key, values in updates.items():
        current = current_values(conn, et.identifier, key) or {}
        after = {n: current.get(n) for n in names} | {p: a for p, (_, a) in values.items()}
        rows.append({"kind": "update", "entity_type": et.identifier, "key": key,
                     "data": _json({p: [b, a] for p, (b, a) in values.items()}),
                     "after": _json(after), "connection": provenance, "line": None})
    frame = pl.DataFrame(rows, schema={k: v for k, v in RESOURCE_SCHEMA.items() if k != "hash"})
    hashes = text_hashes(frame["after"]) if frame.height \
        else pl.Series("hash", [], dtype=pl.Int64)
    frame = frame.with_columns(hashes.alias("hash")).select(list(RESOURCE_SCHEMA))
    return ChangeSet(frame, pl.DataFrame(schema=LINK_SCHEMA))


def _json(values: dict[str, Any]) -> str:
    # The encoding fulfillment uses: the same record hashes the same whoever wrote it.
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))
