"""Reviews (SPEC §10): managed systems' accounts, deprovisioning orders and campaigns."""

from __future__ import annotations

import sqlalchemy as sa

from headcount.repository.schema.metadata import metadata

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
