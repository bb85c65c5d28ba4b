"""Who reviews each item, found set-wise: the subject's manager (the identity's current record's
Manager), the manager of its organization, a role or a named person — with the stage's fallback,
then the campaign's owner, when the rule finds nobody who can log in."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date

import sqlalchemy as sa

from headcount.campaigns.spec import Stage
from headcount.config.model import Project
from headcount.repository.bulk import raw_rows
from headcount.repository.schema import links, resources, users

# The workforce template's identities: whose manager, organization and user a review follows.
IDENTITY_TYPE = "Directory_User"


def role_of(reviewer: str) -> str | None:
    return reviewer[5:] if reviewer.startswith("role:") else None


def named(rule: str) -> str:
    """A `role:` or `user:` rule as a reviewer: `role:hr` stays, `user:ann` is `ann`."""
    return rule[5:] if rule.startswith("user:") else rule


class Directory:
    """The identities' current records, their managers and their organizations' managers, and
    the users who are those identities: read once for a whole campaign."""

    def __init__(self, conn: sa.Connection, project: Project, identity_type: str,
                 today: date) -> None:
        self.user_of = {identity: name for name, identity in conn.execute(
            sa.select(users.c.name, users.c.identity).where(users.c.identity.is_not(None),
                                                            users.c.disabled.is_(False)))}
        self.manager: dict[str, str] = {}
        self.org_manager: dict[str, str] = {}
        record = record_type(project, identity_type)
        if record is None:
            return
        current = _current_records(conn, record, today)
        by_record = {rid: identity for identity, rid in current.items()}
        for rid, target in _targets(conn, f"{record}.Manager", by_record):
            self.manager[by_record[rid]] = target
        org_type = _target_type(project, record, "Organization")
        if org_type is None:
            return
        heads = dict(conn.execute(
            sa.select(resources.c.key, links.c.target_key)
            .join(links, links.c.source_id == resources.c.id)
            .where(links.c.navigation == f"{org_type}.Manager")).all())
        for rid, org in _targets(conn, f"{record}.Organization", by_record):
            if org in heads:
                self.org_manager[by_record[rid]] = heads[org]

    def reviewer(self, stage: Stage, identity: str | None, owner: str) -> str:
        found: str | None = None
        if stage.reviewer == "manager" and identity is not None:
            found = self.user_of.get(self.manager.get(identity, ""))
        elif stage.reviewer == "organization-manager" and identity is not None:
            found = self.user_of.get(self.org_manager.get(identity, ""))
        elif stage.reviewer.startswith(("role:", "user:")):
            found = named(stage.reviewer)
        if found is None and stage.fallback:
            found = named(stage.fallback)
        return found or owner

    def reviewers(self, stage: Stage, identities: Sequence[str | None], owner: str
                  ) -> list[str]:
        return [self.reviewer(stage, i, owner) for i in identities]


def record_type(project: Project, identity_type: str) -> str | None:
    """The entity type of an identity's dated records: it links to the identity by `User`."""
    for connector in project.connectors:
        for et in connector.entity_types:
            prop = et.find_property("User")
            if prop is not None and prop.is_navigation \
                    and (prop.target or "").lower() == identity_type.lower():
                return et.identifier
    return None


def _target_type(project: Project, entity_type: str, navigation: str) -> str | None:
    found = project.entity_type(entity_type)
    prop = found[1].find_property(navigation) if found else None
    return prop.target if prop is not None and prop.is_navigation else None


def _current_records(conn: sa.Connection, record: str, today: date) -> dict[str, int]:
    """identity → its current record: the one valid today, else the one that started last."""
    spans: dict[int, tuple[str, str]] = {}
    for rid, data in raw_rows(conn, sa.select(resources.c.id, resources.c.data)
                              .where(resources.c.entity_type == record)):
        values = json.loads(data)
        spans[rid] = (values.get("StartDate") or "", values.get("EndDate") or "")
    day = today.isoformat()
    best: dict[str, tuple[tuple[bool, str], int]] = {}
    for rid, identity in raw_rows(conn, sa.select(links.c.source_id, links.c.target_key)
                                  .where(links.c.navigation == f"{record}.User")):
        start, end = spans.get(rid, ("", ""))
        rank = (start <= day and (not end or end >= day), start)
        if identity not in best or rank > best[identity][0]:
            best[identity] = (rank, rid)
    return {identity: rid for identity, (_, rid) in best.items()}


def _targets(conn: sa.Connection, navigation: str, sources: Mapping[int, str]
             ) -> list[tuple[int, str]]:
    return [(rid, target) for rid, target in raw_rows(conn, sa.select(
        links.c.source_id, links.c.target_key).where(links.c.navigation == navigation))
        if rid in sources]
