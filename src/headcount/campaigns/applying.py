"""What a decision changes, applied: a kept repository value is protected as a declined
reconciliation protects it; an HR value taken, or an identity declined, goes through a workflow
(started as the deciding person); a declined account becomes a deprovisioning order. What was
done — or why it could not be — is written on the item (`applied`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from headcount.campaigns import accounts
from headcount.campaigns.store import Campaign, Item
from headcount.config.model import Project
from headcount.errors import HeadcountError
from headcount.repository import property_states
from headcount.repository.database import begin_write
from headcount.repository.schema import campaign_items
from headcount.repository.users import User
from headcount.workflows.forms import start_by_hand


def in_transaction(conn: sa.Connection, project: Project, campaign: Campaign,
                   items: Sequence[Item], decision: str, actor: str, at: datetime
                   ) -> dict[int, str]:
    """`keep` and account declines: written with the decision itself."""
    done: dict[int, str] = {}
    for item in items:
        if decision == "keep" and item.finding == "mismatch":
            done[item.id] = _protect(conn, item, actor, at)
        elif decision == "keep":
            done[item.id] = "kept as it is"
        elif decision == "decline" and campaign.scope.system:
            order = accounts.deprovision(
                conn, project, campaign.scope.system, item.subject_key, actor,
                item.comment or f"declined in campaign {campaign.id}",
                {"campaign": campaign.id, "item": item.id})
            done[item.id] = f"deprovisioning order {order}"
    _write(conn, done)
    return done


def through_workflows(engine: sa.Engine, project: Project, campaign: Campaign,
                      items: Sequence[Item], decision: str, user: User) -> dict[int, str]:
    """HR values taken, identities declined: a workflow each, after the decision committed.
    A refused workflow leaves the decision as it is, its reason on the item."""
    done: dict[int, str] = {}
    for item in items:
        if decision == "take-hr":
            done[item.id] = _take_hr(engine, project, campaign, item, user)
        elif decision == "decline" and not campaign.scope.system:
            done[item.id] = _decline(engine, project, campaign, item, user)
    with begin_write(engine) as conn:
        _write(conn, done)
    return done


def pending_declines(engine: sa.Engine, project: Project, campaign: Campaign, actor: str,
                     at: datetime) -> int:
    """Apply the declines kept for the close (the campaign closes, or is signed off)."""
    c = campaign_items.c
    with begin_write(engine) as conn:
        items = [Item.from_row(r) for r in conn.execute(sa.select(campaign_items).where(
            c.campaign_id == campaign.id, c.decision == "decline", c.applied.is_(None)))]
        if items:
            in_transaction(conn, project, campaign, items, "decline", actor, at)
    if items and not campaign.scope.system:
        # Who closes a campaign acts for its reviewers: the workflow is started in their name.
        through_workflows(engine, project, campaign, items, "decline",
                          User(0, actor, "administrator"))
    return len(items)


def _protect(conn: sa.Connection, item: Item, actor: str, at: datetime) -> str:
    """The repository's value kept: protected, as a declined reconciliation keeps it."""
    prop = item.property or ""
    held = property_states.of_resource(conn, item.subject_type, item.subject_key).get(prop)
    reason = item.comment or "kept in an HR consistency campaign"
    if held is not None:
        property_states.update(conn, held.id, state="protected", decided_by=actor,
                               decided_at=at, reason=reason)
    else:
        property_states.create(conn, item.subject_type, item.subject_key, prop,
                               item.details.get("resource_type"), "protected",
                               item.details.get("repository"), item.details.get("hr"),
                               reason, None, actor, at)
    return "repository value protected"


def _take_hr(engine: sa.Engine, project: Project, campaign: Campaign, item: Item, user: User
             ) -> str:
    prop = item.property or ""
    workflow = campaign.options.hr_workflows.get(item.subject_type)
    if workflow is None:
        return f"not applied: no workflow for {item.subject_type} (options.hr_workflows)"
    with begin_write(engine) as conn:
        # The value goes back to HR: no manual value is held against it any more.
        held = property_states.of_resource(conn, item.subject_type, item.subject_key).get(prop)
        if held is not None:
            property_states.delete(conn, [held.id])
    return _start(engine, project, workflow, item, {prop: _given(item.details.get("hr"))},
                  user, f"HR value taken in campaign {campaign.id}: {prop}")


def _decline(engine: sa.Engine, project: Project, campaign: Campaign, item: Item, user: User
             ) -> str:
    workflow = campaign.options.decline_workflow
    if workflow is None:
        return "recorded (no decline workflow: options.decline_workflow)"
    return _start(engine, project, workflow, item, dict(campaign.options.decline_values), user,
                  f"declined in campaign {campaign.id}: {item.comment or ''}".strip())


def _start(engine: sa.Engine, project: Project, workflow: str, item: Item,
           given: dict[str, Any], user: User, message: str) -> str:
    try:
        started = start_by_hand(engine, project, workflow, item.subject_key, given, user,
                                message)
    except HeadcountError as exc:
        return f"not applied: {exc}"
    return f"workflow {workflow} #{started.instance_id}"


def _given(value: Any) -> str | list[str] | None:
    if value is None:
        return None
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value)


def _write(conn: sa.Connection, done: dict[int, str]) -> None:
    for item_id, text in done.items():
        conn.execute(sa.update(campaign_items).where(campaign_items.c.id == item_id)
                     .values(applied=text))
