"""The one place campaigns meet managed systems (headcount.accounts): the accounts of a system,
their owners, and a declined account's deprovisioning order. Imported inside each function:
campaigns over identities need no managed system at all."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from headcount.campaigns.spec import ScopeError
from headcount.config.model import Project


def _system(project: Project, system: str) -> Any:
    for candidate in getattr(project, "managed_systems", None) or []:
        if str(candidate.identifier).lower() == system.lower():
            return candidate
    raise ScopeError(f"scope: no managed system `{system}` (managed_systems:)")


def entity_type_of(project: Project, system: str) -> str:
    """The entity type of the system's accounts."""
    return str(_system(project, system).accounts)


def owners(conn: sa.Connection, system: str) -> dict[str, str | None]:
    """Account key → its owner's identity (None: an orphan)."""
    from headcount.accounts.owners import owners_of  # type: ignore[import-not-found,unused-ignore]

    found: dict[str, str | None] = owners_of(conn, system)
    return found


def deprovision(conn: sa.Connection, project: Project, system: str, account: str, actor: str,
                reason: str, origin: Mapping[str, object]) -> int:
    """A deprovisioning order for a declined account (disabled first, deleted after the
    system's grace period); its id."""
    from headcount.accounts import deprovision as orders  # type: ignore[import-not-found,attr-defined,unused-ignore]

    order_id: int = orders.request(conn, project, system, account, "disable", actor, reason,
                                   origin)
    return order_id
