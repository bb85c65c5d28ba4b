"""Storage of the synchronization engine (SPEC §4, §16): resources and their links, runs with their
logs and change lists, what runs set aside or left pending, accepted files and snapshots, and the
audit log. A configuration change needs no DDL: resources keep their scalar values as JSON plus
a stable hash of them, so a re-sync compares (key, hash) pairs."""

from __future__ import annotations

import sqlalchemy as sa

from headcount.repository.schema.metadata import metadata

deployments = sa.Table(
    "deployments", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("config", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
)

connector_state = sa.Table(
    "connector_state", metadata,
    sa.Column("connector", sa.String(128), primary_key=True),
    # Bumped by every applied run: a resumed run checks nothing moved since it was staged.
    sa.Column("version", sa.Integer, nullable=False, default=0),
    sa.Column("blocked_run_id", sa.Integer, nullable=True),
)

resources = sa.Table(
    "resources", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("entity_type", sa.String(128), nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("hash", sa.BigInteger, nullable=False),
    sa.Column("created_run", sa.Integer, nullable=True),
    sa.Column("updated_run", sa.Integer, nullable=True),
    sa.UniqueConstraint("entity_type", "key", name="uq_resources_entity_type_key"),
)

links = sa.Table(
    "links", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source_id", sa.Integer, nullable=False),
    # "HR_Person.Manager": the navigation seen from its source; the flip side reads target_id.
    sa.Column("navigation", sa.String(260), nullable=False),
    sa.Column("target_type", sa.String(128), nullable=False),
    sa.Column("target_key", sa.Text, nullable=False),
    # NULL while the target does not exist: a pending reference, resolved when it appears.
    sa.Column("target_id", sa.Integer, nullable=True),
    sa.UniqueConstraint("source_id", "navigation", "target_key", name="uq_links_source_nav_key"),
    sa.Index("ix_links_target_id", "target_id"),
)

runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("connector", sa.String(128), nullable=False, index=True),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("requested_mode", sa.String(16), nullable=True),
    sa.Column("state", sa.String(32), nullable=False, index=True),
    sa.Column("dry_run", sa.Boolean, nullable=False, default=False),
    sa.Column("forced", sa.Boolean, nullable=False, default=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("pid", sa.Integer, nullable=True),
    sa.Column("host", sa.String(255), nullable=True),
    sa.Column("base_version", sa.Integer, nullable=True),
    sa.Column("deployment_id", sa.Integer, nullable=True),
    sa.Column("counters", sa.Text, nullable=False, default="{}"),
    sa.Column("timings", sa.Text, nullable=False, default="{}"),
    sa.Column("files", sa.Text, nullable=False, default="[]"),
)

run_logs = sa.Table(
    "run_logs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, nullable=False, index=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("level", sa.String(10), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
)

# The change list of every run; once a run is applied its rows are the resources' history.
changes = sa.Table(
    "changes", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("entity_type", sa.String(128), nullable=False),
    sa.Column("resource_key", sa.Text, nullable=False),
    sa.Column("navigation", sa.String(260), nullable=True),
    sa.Column("target_key", sa.Text, nullable=True),
    # insert: the values (NULL: see inserted_records); update: {property: [before, after]};
    # delete: the values before.
    sa.Column("data", sa.Text, nullable=True),
    # update: the whole record after the change, and its hash (insert: data is the record).
    sa.Column("after", sa.Text, nullable=True),
    sa.Column("hash", sa.BigInteger, nullable=True),
    sa.Column("connection", sa.String(128), nullable=True),
    sa.Column("line", sa.Integer, nullable=True),
    sa.Index("ix_changes_run_id", "run_id", "id"),
    sa.Index("ix_changes_resource", "entity_type", "resource_key"),
)

# The record of an insert row that left it to its resource (repository/apply.py,
# `apply_and_record`), copied here when that resource first changes or goes: appended, a few
# pages, where filling the change rows themselves would rewrite a page each.
inserted_records = sa.Table(
    "inserted_records", metadata,
    sa.Column("change_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("data", sa.Text, nullable=False),
)

set_aside = sa.Table(
    "set_aside", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, nullable=False, index=True),
    sa.Column("connection", sa.String(128), nullable=False),
    sa.Column("line", sa.Integer, nullable=True),
    sa.Column("key", sa.Text, nullable=True),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("raw", sa.Text, nullable=True),
)

# The references a run left pending (SPEC §4.3, §4.6), all of them: the links of the connector
# whose target does not exist after the run, and why — absent from the file, or set aside by it.
pending_references = sa.Table(
    "pending_references", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, nullable=False),
    sa.Column("entity_type", sa.String(128), nullable=False),
    sa.Column("resource_key", sa.Text, nullable=False),
    sa.Column("navigation", sa.String(260), nullable=False),
    sa.Column("target_type", sa.String(128), nullable=False),
    sa.Column("target_key", sa.Text, nullable=False),
    # absent, or the category of the run's set-aside row holding the target's key
    sa.Column("cause", sa.String(32), nullable=False),
    # the connection and line of that set-aside row
    sa.Column("connection", sa.String(128), nullable=True),
    sa.Column("line", sa.Integer, nullable=True),
    # written by this run (else left pending by an earlier one)
    sa.Column("new", sa.Boolean, nullable=False),
    sa.Index("ix_pending_references_run_id", "run_id", "id"),
)

accepted_files = sa.Table(
    "accepted_files", metadata,
    sa.Column("connector", sa.String(128), primary_key=True),
    sa.Column("connection", sa.String(128), primary_key=True),
    sa.Column("run_id", sa.Integer, nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("header", sa.Text, nullable=False),
    sa.Column("checksum", sa.String(64), nullable=False),
    # Share of values per shape and mapped column (sync.shapes): the value-shape guard's basis.
    sa.Column("shapes", sa.Text, nullable=False, server_default="{}"),
)

# The accepted snapshot (SPEC §4.2) of each entity type: its (key, hash) pairs after the last
# applied run, as one Parquet blob written in the run's transaction. `version` is the connector's
# version it belongs to; any other version means it is stale and the rows are read instead.
hash_snapshots = sa.Table(
    "hash_snapshots", metadata,
    sa.Column("entity_type", sa.String(128), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.Text, nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Index("ix_audit_log_action_target_at", "action", "target", "at"),
)
