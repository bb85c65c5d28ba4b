"""Job runs (SPEC §11, issue 13): every execution of a configured job, a launch, an agent's
delivery or pushed records — queued, then carried out by a worker — and the connectors an
administrator deactivated."""

from __future__ import annotations

import sqlalchemy as sa

from headcount.repository.schema.metadata import metadata

# One job run is one job for ONE connector. The row is the truth the UI reads; queue backends
# only carry its id. (job, connector, scheduled_for) is unique: a cron tick is queued at most
# once, however many schedulers run (NULLs — launches — never collide).
job_runs = sa.Table(
    "job_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("job", sa.String(128), nullable=True),
    sa.Column("connector", sa.String(128), nullable=False),
    sa.Column("tasks", sa.Text, nullable=False),  # JSON list
    sa.Column("mode", sa.String(32), nullable=True),
    sa.Column("trigger", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True),
    sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("run_ids", sa.Text, nullable=False, default="[]"),  # JSON list
    sa.Column("worker", sa.String(255), nullable=True),
    sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("step", sa.Text, nullable=True),
    sa.Column("delivery", sa.Integer, nullable=True),
    sa.Column("parent", sa.Integer, nullable=True),
    sa.Column("force", sa.Boolean, nullable=False, default=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.UniqueConstraint("job", "connector", "scheduled_for", name="uq_job_runs_tick"),
    sa.Index("ix_job_runs_state", "state", "connector"),
)

# A connector deactivated from the CLI or the UI (the config's `active: false` is the other way):
# its job runs end `skipped` saying who did it, when and why.
connector_activity = sa.Table(
    "connector_activity", metadata,
    sa.Column("connector", sa.String(128), primary_key=True),
    sa.Column("deactivated_by", sa.String(255), nullable=False),
    sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
)
