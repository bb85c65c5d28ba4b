"""Workflows (SPEC §7): instances, tasks, decisions, the notices' outbox and homonym names."""

from __future__ import annotations

import sqlalchemy as sa

from headcount.repository.schema.metadata import metadata

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
