"""The tables. Storage is generic (SPEC §16): a configuration change needs no DDL. Resources keep
their scalar values as JSON plus a stable hash of them, so a re-sync compares (key, hash) pairs."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

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
    # insert: the values; update: {property: [before, after]}; delete: the values before.
    sa.Column("data", sa.Text, nullable=True),
    # update: the whole record after the change, and its hash (insert: data is the record).
    sa.Column("after", sa.Text, nullable=True),
    sa.Column("hash", sa.BigInteger, nullable=True),
    sa.Column("connection", sa.String(128), nullable=True),
    sa.Column("line", sa.Integer, nullable=True),
    sa.Index("ix_changes_run_id", "run_id", "id"),
    sa.Index("ix_changes_resource", "entity_type", "resource_key"),
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

# People who use the web UI and the API (SPEC §13). Names are unique ignoring case.
users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    # The key of the person's own Directory_User: who they are to a workflow (their reports).
    sa.Column("identity", sa.String(255), nullable=True),
    # Where notices go, and whether at once (immediate) or in one e-mail a day (daily).
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("delivery", sa.String(16), nullable=False, server_default="immediate"),
)

# Out of office: from `starts` to `ends` (days, inclusive), `delegate` acts on the tasks
# `user_name` would act on, and receives their notices. Cancelled ones are kept (audit).
absences = sa.Table(
    "absences", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_name", sa.String(255), nullable=False),
    sa.Column("starts", sa.Date, nullable=False),
    sa.Column("ends", sa.Date, nullable=False),
    sa.Column("delegate", sa.String(255), nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_absences_delegate", "delegate", "starts"),
    sa.Index("ix_absences_user", "user_name", "starts"),
)

# Log-in sessions: the cookie holds a random token, the table only its SHA-256.
sessions = sa.Table(
    "sessions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, nullable=False, index=True),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

# API tokens: shown once, stored hashed, scoped, revocable.
api_tokens = sa.Table(
    "api_tokens", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, nullable=False, index=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("scopes", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)

# Which source owns which target, per resource type: a correlation is remembered, and a target
# whose source is gone is known to be the resource type's to delete.
ownership = sa.Table(
    "ownership", metadata,
    sa.Column("resource_type", sa.String(128), primary_key=True),
    sa.Column("source_key", sa.Text, primary_key=True),
    sa.Column("target_key", sa.Text, nullable=False),
    sa.Index("ix_ownership_target", "resource_type", "target_key"),
)

# Provisioning orders (SPEC §6.3): what the policy decided for each target, per run.
provisioning_orders = sa.Table(
    "provisioning_orders", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, nullable=False),
    sa.Column("resource_type", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # added | modified | deleted
    sa.Column("source_key", sa.Text, nullable=True),
    sa.Column("target_key", sa.Text, nullable=False),
    # {"values": {property: [before, after]}, "links": {navigation: [[before], [after]]}}
    sa.Column("changes", sa.Text, nullable=False),
    sa.Index("ix_provisioning_orders_run", "run_id", "id"),
    sa.Index("ix_provisioning_orders_target", "resource_type", "target_key"),
    sa.Index("ix_provisioning_orders_source", "resource_type", "source_key"),
)

# Correlation cases (SPEC §6.1): sources matched only below confidence 100, for a person.
correlation_cases = sa.Table(
    "correlation_cases", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("resource_type", sa.String(128), nullable=False),
    sa.Column("source_key", sa.Text, nullable=False),
    sa.Column("candidates", sa.Text, nullable=False),
    sa.Column("confidence", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # open | resolved
    sa.Column("run_id", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # The decision: `link` (to `decided_target`) or `new` (a new target is created).
    sa.Column("decision", sa.String(16), nullable=True),
    sa.Column("decided_target", sa.Text, nullable=True),
    sa.Column("decided_by", sa.String(255), nullable=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Index("ix_correlation_cases_state", "state", "resource_type", "source_key"),
)

# Who may overwrite what (SPEC §6.4): a computed property of a target that a person changed.
# state: unreconciled (a manual value waits for a decision), postponed, protected (the manual value
# was kept: HR leaves it alone), questioned (HR changed while protected), override (a manual value
# until `expires_at`, then HR wins again). Values are JSON.
property_states = sa.Table(
    "property_states", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("entity_type", sa.String(128), nullable=False),
    sa.Column("resource_key", sa.Text, nullable=False),
    sa.Column("property", sa.String(128), nullable=False),
    sa.Column("resource_type", sa.String(128), nullable=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("manual_value", sa.Text, nullable=True),
    sa.Column("proposed_value", sa.Text, nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("changed_by", sa.String(255), nullable=True),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decided_by", sa.String(255), nullable=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("entity_type", "resource_key", "property", name="uq_property_states"),
    sa.Index("ix_property_states_state", "state"),
)

# Targets whose source left a complete file: kept until `delete_on` (the retention), then
# deleted by the policy's date evaluation (SPEC §5, §8).
scheduled_deletions = sa.Table(
    "scheduled_deletions", metadata,
    sa.Column("entity_type", sa.String(128), primary_key=True),
    sa.Column("resource_key", sa.Text, primary_key=True),
    sa.Column("resource_type", sa.String(128), nullable=False),
    sa.Column("delete_on", sa.Date, nullable=False),
    sa.Column("run_id", sa.Integer, nullable=False),
)

# Values issued by `unique` rules (SPEC §6.5), folded: never issued again, even once their
# target is deleted.
used_values = sa.Table(
    "used_values", metadata,
    sa.Column("resource_type", sa.String(128), primary_key=True),
    sa.Column("property", sa.String(128), primary_key=True),
    sa.Column("value", sa.Text, primary_key=True),
)

# Workflows (SPEC §7.3): an instance carries its change set until its Persist activity; its
# tasks are its activities, one at a time; every decision is kept.
workflow_instances = sa.Table(
    "workflow_instances", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workflow", sa.String(128), nullable=False),
    sa.Column("entity_type", sa.String(128), nullable=False),
    # The subject's key: none for a creation until it persists.
    sa.Column("subject_key", sa.Text, nullable=True),
    sa.Column("message", sa.Text, nullable=True),
    # running | completed | aborted
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    # JSON: the change set (values and links, before and after), and where it came from.
    sa.Column("change_set", sa.Text, nullable=False),
    sa.Column("origin", sa.Text, nullable=False),
    sa.Column("started_by", sa.String(255), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    # The run that persisted it: its history and provenance.
    sa.Column("run_id", sa.Integer, nullable=True),
    # Started by a run (internal-workflow fulfillment): the fingerprint of what it proposes, so
    # that a declined change is not proposed again until HR changes it; what HR said since.
    sa.Column("digest", sa.String(64), nullable=True),
    sa.Column("notes", sa.Text, nullable=True),
    sa.Column("started_by_run", sa.Integer, nullable=True),
    sa.Index("ix_workflow_instances_subject", "entity_type", "subject_key"),
    sa.Index("ix_workflow_instances_state", "state"),
    sa.Index("ix_workflow_instances_digest", "digest"),
    sa.Index("ix_workflow_instances_run", "started_by_run"),
)
workflow_tasks = sa.Table(
    "workflow_tasks", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("instance_id", sa.Integer, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("activity", sa.String(128), nullable=False),
    sa.Column("template", sa.String(32), nullable=False),
    # ActionPending, ReviewPending, RefinePending while open; then Executed, Approved…
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("open", sa.Boolean, nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
    # A person it was delegated to: they may act on it, whatever their role.
    sa.Column("delegated_to", sa.String(255), nullable=True),
    sa.Column("approvals", sa.Integer, nullable=False),
    # The escalation level reached (0: none), the reminders sent, and whether it went to the
    # fallback roles because nobody could act on it: what `tasks escalate` did, so that running
    # it again does nothing more.
    sa.Column("escalation", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reminders", sa.Integer, nullable=False, server_default="0"),
    sa.Column("fallback", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_workflow_tasks_open", "open", "instance_id"),
    sa.Index("ix_workflow_tasks_open_age", "open", "opened_at", "id"),
    sa.Index("ix_workflow_tasks_instance", "instance_id", "position"),
)
workflow_decisions = sa.Table(
    "workflow_decisions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("instance_id", sa.Integer, nullable=False),
    sa.Column("task_id", sa.Integer, nullable=False),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    # Activity-State-Transition, e.g. Review-ReviewPending-Approve
    sa.Column("transition", sa.String(300), nullable=False),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("delegated_to", sa.String(255), nullable=True),
    sa.Index("ix_workflow_decisions_instance", "instance_id", "id"),
)

# Notices written in the transaction of what causes them (a task opened, escalated, reminded,
# decided), sent after its commit by `deliver`: nothing is told of a decision that rolled back.
# `channel` is `email` (one row per recipient) or `event` (one row per event, for webhooks,
# `delivered_to` listing the webhooks that took it).
outbox = sa.Table(
    "outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("recipient", sa.String(255), nullable=True),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("task_id", sa.Integer, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("link", sa.Text, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    # Who is sending it now (a random token), since when: two deliveries never send one notice.
    sa.Column("claim", sa.String(64), nullable=True),
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("delivered_to", sa.Text, nullable=False, server_default="[]"),
    sa.Index("ix_outbox_pending", "sent_at", "channel", "recipient"),
    sa.Index("ix_outbox_task", "task_id"),
)
# Homonym detection (SPEC §7.3): the names of the resources a creation workflow compares with,
# normalised (case, diacritics, spaces), kept up to date from each resource's hash.
homonym_names = sa.Table(
    "homonym_names", metadata,
    # The entity type and the properties read (`Directory_User/LastName/FirstName/BirthDate`).
    sa.Column("scope", sa.String(600), primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    # The resource's hash when its names were read: another one means they may have changed.
    sa.Column("hash", sa.BigInteger, nullable=False),
    sa.Column("last_name", sa.Text, nullable=False),
    sa.Column("first_name", sa.Text, nullable=False),
    sa.Column("birth_date", sa.Text, nullable=True),
    sa.Index("ix_homonym_names_names", "scope", "last_name", "first_name"),
    sa.Index("ix_homonym_names_birth", "scope", "birth_date"),
)

# Accounts (SPEC §10): managed systems' accounts reviewed for orphaned, unused and owner-left
# ones. `account_status` is rebuilt set-wise after each correlation of a system's accounts to
# their owners (what the review pages count and page through, indexed); `account_marks` holds
# what decisions keep in force (a service account until a date, a postponement, an open
# deprovisioning order); `account_decisions` every decision, for the audit.
account_status = sa.Table(
    "account_status", metadata,
    sa.Column("system", sa.String(128), primary_key=True),
    sa.Column("account_key", sa.Text, primary_key=True),
    sa.Column("display", sa.Text, nullable=False),
    sa.Column("owner_key", sa.Text, nullable=True),
    # rule (a correlation rule at confidence 100) | case (a correlation case decided) | decision
    sa.Column("owner_by", sa.String(16), nullable=True),
    sa.Column("owner_state", sa.String(32), nullable=True),
    # The likeliest owner of an account without one (a rule below 100), with its score.
    sa.Column("suggestion_key", sa.Text, nullable=True),
    sa.Column("suggestion_score", sa.Integer, nullable=True),
    # Which rule matched, on which values: the suggestion explained.
    sa.Column("suggestion_why", sa.Text, nullable=True),
    sa.Column("service", sa.Boolean, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False),
    # ISO 8601 UTC texts: they compare as the instants they are.
    sa.Column("last_logon", sa.String(32), nullable=True),
    sa.Column("created", sa.String(32), nullable=True),
    sa.Index("ix_account_status_owner", "owner_key"),
    sa.Index("ix_account_status_orphans", "system", "owner_key", "service"),
)
account_marks = sa.Table(
    "account_marks", metadata,
    sa.Column("system", sa.String(128), primary_key=True),
    sa.Column("account_key", sa.Text, primary_key=True),
    sa.Column("service_responsible", sa.Text, nullable=True),
    sa.Column("service_until", sa.String(10), nullable=True),
    sa.Column("postponed_until", sa.String(10), nullable=True),
    sa.Column("order_id", sa.Integer, nullable=True),
)
account_decisions = sa.Table(
    "account_decisions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("system", sa.String(128), nullable=False),
    sa.Column("account_key", sa.Text, nullable=False),
    # owner | service | disable | delete | postpone | undo
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("owner_key", sa.Text, nullable=True),
    sa.Column("responsible", sa.Text, nullable=True),
    sa.Column("until", sa.String(10), nullable=True),
    sa.Column("order_id", sa.Integer, nullable=True),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_account_decisions_account", "system", "account_key"),
)
# Deprovisioning orders: staged — disable from `requested_at`, delete from `delete_on` (the
# grace period) — and cancelled rather than deleted when undone. The directory team applies
# them from the CSV export: headcount does not write to the directory.
deprovisioning_orders = sa.Table(
    "deprovisioning_orders", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("system", sa.String(128), nullable=False),
    sa.Column("account_key", sa.Text, nullable=False),
    sa.Column("action", sa.String(16), nullable=False),  # disable | delete
    sa.Column("state", sa.String(16), nullable=False),  # open | cancelled
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("delete_on", sa.String(10), nullable=True),
    sa.Column("undo_until", sa.String(10), nullable=False),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("origin", sa.Text, nullable=False),
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("cancelled_by", sa.String(255), nullable=True),
    sa.Index("ix_deprovisioning_orders_system", "system", "state", "account_key"),
)
# Campaigns (SPEC §10, issue 10): HR consistency and access certification campaigns. A campaign's
# items are its subjects, each with the stage it is at and the reviewer who decides it; every
# decision is kept in campaign_decisions. Options, scope and stages are JSON.
campaigns = sa.Table(
    "campaigns", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),  # hr-consistency | certification
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("owner", sa.String(255), nullable=False),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("stages", sa.Text, nullable=False),
    sa.Column("options", sa.Text, nullable=False),
    sa.Column("starts_on", sa.Date, nullable=False),
    sa.Column("ends_on", sa.Date, nullable=False),
    # draft | active | closed | signed-off
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
)
campaign_items = sa.Table(
    "campaign_items", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("campaign_id", sa.Integer, nullable=False),
    sa.Column("subject_type", sa.String(128), nullable=False),
    sa.Column("subject_key", sa.Text, nullable=False),
    sa.Column("label", sa.Text, nullable=True),
    # certification: access; HR consistency: no-hr-person | no-identity | mismatch
    sa.Column("finding", sa.String(32), nullable=False),
    sa.Column("property", sa.String(260), nullable=True),
    # JSON: the repository's and HR's values, and where each came from.
    sa.Column("details", sa.Text, nullable=False, server_default="{}"),
    sa.Column("stage", sa.Integer, nullable=False),
    # A user's name, or `role:NAME` for anyone of that role.
    sa.Column("reviewer", sa.String(255), nullable=False),
    # open | decided (the reviewer may change it until they sign off) | final | closed (moot)
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("decision", sa.String(16), nullable=True),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("decided_by", sa.String(255), nullable=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("seconds", sa.Float, nullable=True),  # time the decision took
    sa.Column("expires_on", sa.Date, nullable=True),  # an exception's expiry
    # What applying the decision did (a workflow, a deprovisioning order) or why it could not.
    sa.Column("applied", sa.Text, nullable=True),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_campaign_items_reviewer", "campaign_id", "reviewer", "state", "id"),
    sa.Index("ix_campaign_items_open", "reviewer", "state"),
    sa.Index("ix_campaign_items_subject", "campaign_id", "subject_type", "subject_key"),
)
campaign_decisions = sa.Table(
    "campaign_decisions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("campaign_id", sa.Integer, nullable=False),
    sa.Column("item_id", sa.Integer, nullable=False),
    sa.Column("stage", sa.Integer, nullable=False),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("forwarded_to", sa.String(255), nullable=True),
    sa.Index("ix_campaign_decisions_item", "item_id", "id"),
    sa.Index("ix_campaign_decisions_actor", "campaign_id", "actor", "at"),
)
# Per reviewer: when they signed off, and the reminder and escalation sent (sent once).
campaign_reviewers = sa.Table(
    "campaign_reviewers", metadata,
    sa.Column("campaign_id", sa.Integer, primary_key=True),
    sa.Column("reviewer", sa.String(255), primary_key=True),
    sa.Column("signed_off_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
)
# Uploads (SPEC §9, issue 11): each uploaded workbook, who sent it, its verification's counts and
# the runs it gave. `state` is what the upload page shows (upload/uploads.py: State); a load's
# state follows its run (blocked, then resumed or cancelled). The content is kept apart so that
# lists of uploads never read it.
uploads = sa.Table(
    "uploads", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("file_name", sa.String(255), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("uploaded_by", sa.String(255), nullable=False),
    sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("mode", sa.String(16), nullable=True),  # initial | complete | update
    sa.Column("errors", sa.Integer, nullable=False, server_default="0"),
    sa.Column("warnings", sa.Integer, nullable=False, server_default="0"),
    sa.Column("preview_run_id", sa.Integer, nullable=True),
    sa.Column("run_id", sa.Integer, nullable=True),
    sa.Column("rollback_run_id", sa.Integer, nullable=True),
    sa.Column("message", sa.Text, nullable=True),
    sa.Index("ix_uploads_run", "run_id"),
)
upload_files = sa.Table(
    "upload_files", metadata,
    sa.Column("upload_id", sa.Integer, primary_key=True),
    sa.Column("content", sa.LargeBinary, nullable=False),
)
