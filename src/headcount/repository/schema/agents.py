"""Remote agents (SPEC §11): the processes next to the HR files — their heartbeats, the work they
lease and the deliveries they upload."""

from __future__ import annotations

import sqlalchemy as sa

from headcount.repository.schema.metadata import metadata

# One row per agent, named by its token and the name it gives (several agents may share a
# token); the last heartbeat overwrites the previous one.
agents = sa.Table(
    "agents", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_id", sa.Integer, nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("connectors", sa.Text, nullable=False),
    sa.Column("interval_seconds", sa.Integer, nullable=False),
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_heartbeat", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("token_id", "name", name="uq_agents_token_name"),
)

# Work posted for the agents of a connector; `lease_expires` past or None: any agent may take it.
agent_work = sa.Table(
    "agent_work", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("connector", sa.String(255), nullable=False, index=True),
    sa.Column("mode", sa.String(32), nullable=True),
    sa.Column("job_run_id", sa.Integer, nullable=True),
    sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("agent_id", sa.Integer, nullable=True),
    sa.Column("leased_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("lease_expires", sa.DateTime(timezone=True), nullable=True),
    sa.Column("leases", sa.Integer, nullable=False, server_default="0"),
    sa.Column("delivery_id", sa.Integer, nullable=True),
)

# A delivery: the exported tables of a connector, uploaded in chunks; `taken_at` is when a run
# read it (its chunks are deleted a retention later).
agent_deliveries = sa.Table(
    "agent_deliveries", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("connector", sa.String(255), nullable=False),
    sa.Column("mode", sa.String(32), nullable=True),
    sa.Column("agent_id", sa.Integer, nullable=False),
    sa.Column("work_id", sa.Integer, nullable=True),
    sa.Column("token_label", sa.String(300), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("chunks", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("job_run_id", sa.Integer, nullable=True),
)

agent_chunks = sa.Table(
    "agent_chunks", metadata,
    sa.Column("delivery_id", sa.Integer, primary_key=True),
    sa.Column("n", sa.Integer, primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)
