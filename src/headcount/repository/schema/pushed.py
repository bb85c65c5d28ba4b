"""Pushed HR records (docs/push.md): each request received, each operation (record) it carried
with the row it flattens to and its status, and the full snapshots that group requests."""

from __future__ import annotations

import sqlalchemy as sa

from headcount.repository.schema.metadata import metadata

# A request as received: who pushed it, its idempotency key and the hash of its body (the same
# key with another body is refused), and the answer given, replayed for a repeated key.
push_requests = sa.Table(
    "push_requests", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("connector", sa.String(128), nullable=False),
    sa.Column("connection", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("token_id", sa.Integer, nullable=False),
    sa.Column("token_label", sa.String(300), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("idempotency_key", sa.String(255), nullable=True),
    sa.Column("body_sha256", sa.String(64), nullable=False),
    sa.Column("snapshot_id", sa.Integer, nullable=True, index=True),
    sa.Column("operations", sa.Integer, nullable=False),
    sa.Column("accepted", sa.Integer, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("response", sa.Text, nullable=False),
    sa.UniqueConstraint("connector", "idempotency_key", name="uq_push_requests_idempotency"),
)

# One record: `number` its place in the request (1-based), `row` its columns (JSON) when it was
# accepted, `reason` why not otherwise. `state`: rejected, waiting, applied; `run_id` the run
# that applied it. Ids of one request are consecutive: a run's row line is the operation's id.
push_operations = sa.Table(
    "push_operations", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("request_id", sa.Integer, nullable=False, index=True),
    sa.Column("connector", sa.String(128), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("bulk_id", sa.String(255), nullable=True),
    sa.Column("key", sa.Text, nullable=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("row", sa.Text, nullable=True),
    sa.Column("run_id", sa.Integer, nullable=True),
    sa.Index("ix_push_operations_waiting", "connector", "state"),
)

# A whole population sent over several requests: a complete run reads it once `completed_at`.
push_snapshots = sa.Table(
    "push_snapshots", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("connector", sa.String(128), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("run_id", sa.Integer, nullable=True),
    sa.UniqueConstraint("connector", "name", name="uq_push_snapshots_name"),
)
