"""What the policy keeps between runs (SPEC §6): ownership, provisioning orders, correlation
cases, who may overwrite what, scheduled deletions and issued unique values."""

from __future__ import annotations

import sqlalchemy as sa

from headcount.repository.schema.metadata import metadata

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
    # The C collation on PostgreSQL: a homonym's numbered forms are a range of the key in
    # code point order (jdupont0… to jdupont:), as on SQLite (policy.population.numbered_range).
    sa.Column("value", sa.Text().with_variant(sa.Text(collation="C"), "postgresql"),
              primary_key=True),
)

# The next dated transition of each evaluated source (SPEC §8): the first day on which a date
# evaluation may change its targets — its start, the day after its end, a record's effective
# day. A date evaluation reads only the sources due; a source with nothing ahead has no row.
policy_due = sa.Table(
    "policy_due", metadata,
    sa.Column("resource_type", sa.String(128), primary_key=True),
    sa.Column("source_key", sa.Text, primary_key=True),
    sa.Column("source_type", sa.String(128), nullable=False),
    # The first instant of the transition's day where the source works, in seconds since the
    # epoch (UTC): compared as a number alike on every database.
    sa.Column("due_at", sa.BigInteger, nullable=False),
    sa.Index("ix_policy_due_at", "resource_type", "due_at"),
    sqlite_with_rowid=False,
)

# Whether `policy_due` holds every source of a connector: written by a full evaluation of the
# configuration fingerprinted by `policy`. `refreshed_at` is the latest instant a row was
# computed at (an evaluation before it cannot trust the rows); `evaluated_at` the instant up to
# which every due transition was done (overrides expiring after it are still to do).
policy_due_state = sa.Table(
    "policy_due_state", metadata,
    sa.Column("connector", sa.String(128), primary_key=True),
    sa.Column("policy", sa.String(64), nullable=False),
    sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
    # JSON: the targets' connectors → the version the last policy run left them at (a complete
    # run evaluates only what changed while no one else wrote them).
    sa.Column("versions", sa.Text, nullable=True),
)
