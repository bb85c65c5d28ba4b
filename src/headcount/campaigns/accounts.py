"""The one place campaigns meet managed systems (headcount.accounts): the accounts of a system,
their owners, and a declined account's deprovisioning order."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from headcount.accounts import deprovision as orders
from headcount.accounts.owners import owners_of
from headcount.campaigns.spec import ScopeError
from headcount.config.managed_system import ManagedSystem
from headcount.config.model import Project


def _system(project: Project, system: str) -> ManagedSystem:
    for candidate in project.managed_systems:
        if candidate.identifier.lower() == system.lower():
            return candidate
    raise ScopeError(f"scope: no managed system `{system}` (managed_systems:)")


def entity_type_of(project: Project, system: str) -> str:
    """The entity type of the system's accounts."""
    return _system(project, system).accounts


def owners(conn: sa.Connection, system: str) -> dict[str, str | None]:
    """Account key → its owner's identity (None: an orphan)."""
    return owners_of(conn, system)


def deprovision(conn: sa.Connection, project: Project, system: str, account: str, actor: str,
                reason: str, origin: Mapping[str, object]) -> int:
    """A deprovisioning order for a declined account (disabled first, deleted after the
    system's grace period); its id."""
    return orders.request(conn, project, system, account, "disable", actor, reason, origin)
