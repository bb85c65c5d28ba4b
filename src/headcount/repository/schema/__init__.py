"""The tables, one module per concept (the engine, people, policy, workflows, reviews, uploads).
Storage is generic (SPEC §16): a configuration change needs no DDL. Importers name tables from
here; the modules only group them."""

from __future__ import annotations

from headcount.repository.schema.agents import (
    agent_chunks,
    agent_deliveries,
    agent_work,
    agents,
)
from headcount.repository.schema.engine import (
    accepted_files,
    audit_log,
    changes,
    connector_state,
    deployments,
    hash_snapshots,
    inserted_records,
    links,
    pending_references,
    resources,
    run_logs,
    runs,
    set_aside,
)
from headcount.repository.schema.jobs import connector_activity, job_runs
from headcount.repository.schema.metadata import metadata
from headcount.repository.schema.people import (
    absences,
    api_tokens,
    sessions,
    users,
)
from headcount.repository.schema.policy import (
    correlation_cases,
    ownership,
    policy_due,
    policy_due_state,
    property_states,
    provisioning_orders,
    scheduled_deletions,
    used_values,
)
from headcount.repository.schema.pushed import push_operations, push_requests, push_snapshots
from headcount.repository.schema.reviews import (
    account_decisions,
    account_marks,
    account_status,
    campaign_decisions,
    campaign_items,
    campaign_reviewers,
    campaigns,
    deprovisioning_orders,
)
from headcount.repository.schema.scim_users import scim_users
from headcount.repository.schema.search import resource_names
from headcount.repository.schema.tokens import service_tokens
from headcount.repository.schema.uploads import (
    upload_files,
    uploads,
)
from headcount.repository.schema.workflows import (
    homonym_names,
    outbox,
    workflow_decisions,
    workflow_instances,
    workflow_tasks,
)

__all__ = [
    "absences",
    "accepted_files",
    "account_decisions",
    "account_marks",
    "account_status",
    "agent_chunks",
    "agent_deliveries",
    "agent_work",
    "agents",
    "api_tokens",
    "audit_log",
    "campaign_decisions",
    "campaign_items",
    "campaign_reviewers",
    "campaigns",
    "changes",
    "connector_activity",
    "connector_state",
    "correlation_cases",
    "deployments",
    "deprovisioning_orders",
    "hash_snapshots",
    "homonym_names",
    "inserted_records",
    "job_runs",
    "links",
    "metadata",
    "outbox",
    "ownership",
    "pending_references",
    "policy_due",
    "policy_due_state",
    "property_states",
    "provisioning_orders",
    "push_operations",
    "push_requests",
    "push_snapshots",
    "resource_names",
    "resources",
    "run_logs",
    "runs",
    "scheduled_deletions",
    "scim_users",
    "service_tokens",
    "sessions",
    "set_aside",
    "upload_files",
    "uploads",
    "used_values",
    "users",
    "workflow_decisions",
    "workflow_instances",
    "workflow_tasks",
]
