"""A campaign's life: created (draft until its start date, then active), reminded and escalated
by e-mail as its end date nears, closed — by hand or at its end date, items nobody decided
taking the campaign's default outcome, declines kept for the close applied — and signed off
once every item is final."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from headcount.campaigns import applying, certification, consistency, store
from headcount.campaigns.spec import CampaignSpec, Stage
from headcount.campaigns.store import CLOSED, DECIDED, FINAL, OPEN, Campaign
from headcount.config.model import Project
from headcount.errors import HeadcountError
from headcount.repository.database import begin_write
from headcount.repository.runs import audit
from headcount.repository.schema import (
    campaign_items,
    campaign_reviewers,
    campaigns,
    outbox,
    users,
)
from headcount.workflows.notices import EMAIL, EVENT

DEFAULT = "headcount (default outcome)"


class CampaignRefused(HeadcountError):
    exit_code = 4


def create(engine: sa.Engine, project: Project, spec: CampaignSpec, actor: str,
           now: datetime | None = None) -> tuple[int, int]:
    """Create the campaign and its items at once; (its id, how many items)."""
    at = (now or datetime.now(UTC)).astimezone(UTC)
    if spec.ends_on < spec.starts_on:
        raise CampaignRefused("the end date comes before the start date")
    if spec.kind == "hr-consistency":
        if "stages" not in spec.model_fields_set:
            spec = spec.model_copy(update={"stages": [Stage(name="HR data owner",
                                                            reviewer="role:hr")]})
        return consistency.create(engine, project, spec, actor, at)
    return certification.create(engine, project, spec, actor, at)


def close(engine: sa.Engine, project: Project, campaign_id: int, actor: str,
          now: datetime | None = None) -> int:
    """Close the campaign: items nobody decided take the default outcome (or close undecided),
    decisions become final, declines kept for the close are applied. Items closed undecided or
    by default."""
    at = (now or datetime.now(UTC)).astimezone(UTC)
    c = campaign_items.c
    with begin_write(engine) as conn:
        campaign = store.get(conn, campaign_id)
        if campaign.state not in ("active", "draft"):
            raise CampaignRefused(f"campaign {campaign_id} is {campaign.state} already")
        outcome = campaign.options.default_outcome
        undecided = [i for (i,) in conn.execute(sa.select(c.id).where(
            c.campaign_id == campaign_id, c.state == OPEN))]
        if outcome == "none":
            conn.execute(sa.update(campaign_items).where(c.campaign_id == campaign_id,
                                                         c.state == OPEN)
                         .values(state=CLOSED, applied="not decided by the end date"))
        else:
            conn.execute(sa.update(campaign_items).where(c.campaign_id == campaign_id,
                                                         c.state == OPEN)
                         .values(state=FINAL, decision=outcome, decided_by=DEFAULT,
                                 decided_at=at))
        conn.execute(sa.update(campaign_items).where(
            c.campaign_id == campaign_id, c.state == DECIDED,
            sa.or_(c.decision.is_(None), c.decision != "fix-in-hr")).values(state=FINAL))
        conn.execute(sa.update(campaigns).where(campaigns.c.id == campaign_id)
                     .values(state="closed", closed_at=at))
        audit(conn, actor, "campaign closed", f"campaign {campaign_id}",
              f"{len(undecided)} items undecided: {outcome}")
    applying.pending_declines(engine, project, campaign, actor, at)
    return len(undecided)


def tick(engine: sa.Engine, project: Project, now: datetime | None = None) -> dict[str, int]:
    """What the clock does (`campaign remind`, from cron): drafts start on their start date,
    reviewers with open items are reminded `remind_days` before the end date and escalated to
    the campaign's owner `escalate_days` before it (each once), campaigns past their end date
    close. Twice at one instant does what once does."""
    at = (now or datetime.now(UTC)).astimezone(UTC)
    today = at.date()
    done = {"started": 0, "reminded": 0, "escalated": 0, "closed": 0}
    with begin_write(engine) as conn:
        done["started"] = conn.execute(sa.update(campaigns).where(
            campaigns.c.state == "draft", campaigns.c.starts_on <= today)
            .values(state="active")).rowcount or 0
        listed = [c for c in store.listed(conn) if c.state == "active"]
        for campaign in listed:
            if today > campaign.ends_on:
                continue
            left = campaign.ends_on - today
            if left <= timedelta(days=campaign.options.remind_days):
                done["reminded"] += _notify(conn, project, campaign, "reminded", at)
            if left <= timedelta(days=campaign.options.escalate_days):
                done["escalated"] += _notify(conn, project, campaign, "escalated", at)
    for campaign in listed:
        if today > campaign.ends_on:
            close(engine, project, campaign.id, "headcount", at)
            done["closed"] += 1
    return done


def _notify(conn: sa.Connection, project: Project, campaign: Campaign, kind: str,
            at: datetime) -> int:
    """One notice per reviewer with open items not told yet (reminded or escalated)."""
    c, r = campaign_items.c, campaign_reviewers.c
    counts = {str(name): int(n) for name, n in conn.execute(
        sa.select(c.reviewer, sa.func.count()).where(
            c.campaign_id == campaign.id, c.state == OPEN).group_by(c.reviewer))}
    column = r.reminded_at if kind == "reminded" else r.escalated_at
    told = {name for (name,) in conn.execute(sa.select(r.reviewer).where(
        r.campaign_id == campaign.id, column.is_not(None)))}
    due = {name: n for name, n in counts.items() if name not in told}
    if not due:
        return 0
    rows = []
    for reviewer, n in sorted(due.items()):
        if kind == "reminded":
            subject = f"Reminder: {n} review items of campaign {campaign.name} wait for you " \
                      f"(end date {campaign.ends_on})"
            recipients = _people(conn, reviewer)
        else:
            subject = f"Escalation: {n} review items of {reviewer} in campaign " \
                      f"{campaign.name} are not decided (end date {campaign.ends_on})"
            recipients = _people(conn, campaign.owner)
        rows += _outbox_rows(project, campaign, kind, subject, recipients, reviewer, n, at)
        if conn.execute(sa.update(campaign_reviewers).where(
                r.campaign_id == campaign.id, r.reviewer == reviewer)
                .values({column.key: at})).rowcount == 0:
            conn.execute(sa.insert(campaign_reviewers).values(
                campaign_id=campaign.id, reviewer=reviewer, **{column.key: at}))
        audit(conn, "headcount", f"campaign {kind}", f"campaign {campaign.id}",
              f"{reviewer}: {n} open items")
    if rows:
        conn.execute(sa.insert(outbox), rows)
    return len(due)


def _people(conn: sa.Connection, reviewer: str) -> list[tuple[str, str | None]]:
    """The (name, e-mail) a reviewer stands for: the user, or every user of the role."""
    u = users.c
    where = u.role == reviewer[5:] if reviewer.startswith("role:") else u.name == reviewer
    return [(n, e) for n, e in conn.execute(sa.select(u.name, u.email).where(
        where, u.disabled.is_(False)))]


def _outbox_rows(project: Project, campaign: Campaign, kind: str, subject: str,
                 recipients: list[tuple[str, str | None]], reviewer: str, count: int,
                 at: datetime) -> list[dict[str, Any]]:
    """As workflows/notices.py writes them: delivered by `deliver` with the tasks' notices."""
    event = "task_reminder" if kind == "reminded" else "task_escalated"
    link = f"/reviews/campaigns/{campaign.id}" + ("/mine" if kind == "reminded" else "")
    payload = {"campaign": campaign.id, "reviewer": reviewer, "open_items": count}
    common = {"kind": event, "task_id": None, "created_at": at, "subject": subject,
              "body": subject, "link": link, "attempts": 0, "delivered_to": "[]"}
    settings = project.notifications
    rows: list[dict[str, Any]] = []
    if settings.smtp is not None:
        rows += [{**common, "channel": EMAIL, "recipient": name, "email": email,
                  "payload": json.dumps(payload)} for name, email in recipients if email]
    if any(event in hook.events for hook in settings.webhooks):
        rows.append({**common, "channel": EVENT, "recipient": None, "email": None,
                     "payload": json.dumps({**payload,
                                            "recipients": [n for n, _ in recipients]})})
    return rows
