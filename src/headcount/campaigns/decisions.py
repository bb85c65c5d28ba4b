"""Deciding items (SPEC §10): approve / decline / forward in a certification; take the HR value /
keep the repository value / fix in HR / exception / forward in an HR consistency campaign. Each
decision is kept (campaign_decisions) and audited; a reviewer decides only their own items, and
only until they sign off. An approval before the last stage hands the item to the next stage's
reviewer; what a decision changes is applied by `headcount.campaigns.applying`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from headcount.campaigns import applying, store
from headcount.campaigns.reviewers import IDENTITY_TYPE, Directory
from headcount.campaigns.store import DECIDED, FINAL, OPEN, Campaign, Item
from headcount.config.model import Project
from headcount.errors import HeadcountError
from headcount.repository.database import begin_write
from headcount.repository.schema import (
    audit_log,
    campaign_decisions,
    campaign_items,
    campaign_reviewers,
    campaigns,
    users,
)
from headcount.repository.users import User

DECISIONS: dict[str, tuple[str, ...]] = {
    "certification": ("approve", "decline", "forward"),
    "hr-consistency": ("take-hr", "keep", "fix-in-hr", "exception", "forward"),
}
NEEDS_COMMENT = ("decline", "forward", "keep", "exception")
# Time between two decisions of a reviewer beyond which they were doing something else.
PAUSE = timedelta(minutes=15)
MAX_COMMENT = 2000


class DecisionRefused(HeadcountError):
    exit_code = 4


class NotYours(HeadcountError):
    """An item of another reviewer: nobody decides (or sees) another's items."""

    exit_code = 5


@dataclass
class Decided:
    decided: list[int] = field(default_factory=list)
    applied: dict[int, str] = field(default_factory=dict)


def decide(engine: sa.Engine, project: Project, campaign_id: int, ids: Iterable[int],
           decision: str, user: User, comment: str | None = None, to: str | None = None,
           expires_on: date | None = None, now: datetime | None = None) -> Decided:
    """One decision on these items of `user`'s, all or none."""
    at = (now or datetime.now(UTC)).astimezone(UTC)
    wanted = sorted(set(ids))
    text = (comment or "").strip() or None
    with begin_write(engine) as conn:
        campaign = store.get(conn, campaign_id)
        _check(conn, campaign, decision, text, to, expires_on, wanted, at)
        items = store.items_by_id(conn, wanted)
        _mine(conn, campaign, items, user, wanted, decision)
        declined_now = decision == "decline" and campaign.options.apply_declines == "at-once"
        seconds = _seconds(conn, campaign_id, user.name, items, at)
        rows: list[dict[str, Any]] = []
        moved: list[Item] = []
        for item in items:
            values: dict[str, Any] = {"decision": decision, "comment": text,
                                      "decided_by": user.name, "decided_at": at,
                                      "seconds": seconds, "state": DECIDED}
            if decision == "forward":
                assert to is not None
                # Theirs from now: their time on it starts now.
                values = {"reviewer": to, "state": OPEN, "decision": None, "comment": text,
                          "opened_at": at}
            elif decision == "approve" and item.stage + 1 < len(campaign.stages):
                moved.append(item)
                continue
            elif decision == "exception":
                values["expires_on"] = expires_on
            elif decision in ("take-hr", "keep") or declined_now:
                values["state"] = FINAL  # applied now: nobody takes it back
            rows.append({"id": item.id, "values": values})
        for row in rows:
            conn.execute(sa.update(campaign_items).where(campaign_items.c.id == row["id"])
                         .values(**row["values"]))
        _advance(conn, project, campaign, moved, at)
        _record(conn, campaign, items, decision, text, to, user.name, at)
        out = Decided([i.id for i in items])
        items = store.items_by_id(conn, wanted)  # as decided: the comment a decline gives
        if decision == "keep" or declined_now:
            out.applied.update(applying.in_transaction(conn, project, campaign, items,
                                                       decision, user.name, at))
    if decision == "take-hr" or declined_now:
        out.applied.update(applying.through_workflows(engine, project, campaign, items,
                                                      decision, user))
    return out


def sign_off(engine: sa.Engine, project: Project, campaign_id: int, user: User,
             now: datetime | None = None) -> int:
    """`user` is done: their decided items become final. Refused while any of theirs is open.
    The number of items made final."""
    at = (now or datetime.now(UTC)).astimezone(UTC)
    c = campaign_items.c
    with begin_write(engine) as conn:
        campaign = store.get(conn, campaign_id)
        if campaign.state != "active":
            raise DecisionRefused(f"campaign {campaign_id} is {campaign.state}: nothing to "
                                  "sign off")
        mine = store.mine(user)
        waiting = conn.execute(sa.select(sa.func.count()).select_from(campaign_items).where(
            c.campaign_id == campaign_id, c.reviewer.in_(mine), c.state == OPEN)).scalar_one()
        if waiting:
            raise DecisionRefused(f"{waiting} of your items are not decided yet: decide them "
                                  "before signing off")
        made = conn.execute(sa.update(campaign_items).where(
            c.campaign_id == campaign_id, c.decided_by == user.name, c.state == DECIDED,
            sa.or_(c.decision.is_(None), c.decision != "fix-in-hr"))
            .values(state=FINAL)).rowcount
        r = campaign_reviewers.c
        if conn.execute(sa.update(campaign_reviewers).where(
                r.campaign_id == campaign_id, r.reviewer == user.name)
                .values(signed_off_at=at)).rowcount == 0:
            conn.execute(sa.insert(campaign_reviewers).values(
                campaign_id=campaign_id, reviewer=user.name, signed_off_at=at))
        conn.execute(sa.insert(audit_log).values(
            at=at, actor=user.name, action="campaign signed off",
            target=f"campaign {campaign_id}", reason=f"{made} items final"))
        left = conn.execute(sa.select(sa.func.count()).select_from(campaign_items).where(
            c.campaign_id == campaign_id, c.state.in_((OPEN, DECIDED)),
            sa.or_(c.decision.is_(None), c.decision != "fix-in-hr"))).scalar_one()
        if not left:
            conn.execute(sa.update(campaigns).where(campaigns.c.id == campaign_id)
                         .values(state="signed-off", closed_at=at))
    if not left:
        applying.pending_declines(engine, project, campaign, user.name, at)
    return int(made or 0)


def _check(conn: sa.Connection, campaign: Campaign, decision: str, comment: str | None,
           to: str | None, expires_on: date | None, wanted: list[int], at: datetime) -> None:
    if campaign.state != "active":
        raise DecisionRefused(f"campaign {campaign.id} is {campaign.state}: no decision now")
    allowed = DECISIONS[campaign.kind]
    if decision not in allowed:
        raise DecisionRefused(f"unknown decision `{decision}`: one of {', '.join(allowed)}")
    if not wanted:
        raise DecisionRefused("choose at least one item")
    if decision in NEEDS_COMMENT and not comment:
        raise DecisionRefused(f"a comment is required to {decision} (why)")
    if comment is not None and (len(comment) > MAX_COMMENT or "\x00" in comment):
        raise DecisionRefused(f"a comment holds at most {MAX_COMMENT} characters (no NUL)")
    if decision == "forward":
        if not to:
            raise DecisionRefused("forward to whom? a user's name, or role:NAME")
        if not to.startswith("role:") and conn.execute(sa.select(users.c.id).where(
                users.c.name == to, users.c.disabled.is_(False))).first() is None:
            raise DecisionRefused(f"no user `{to}` to forward to")
    if decision == "exception" and (expires_on is None or expires_on <= at.date()):
        raise DecisionRefused("an exception needs an expiry date in the future")


def _mine(conn: sa.Connection, campaign: Campaign, items: list[Item], user: User,
          wanted: list[int], decision: str) -> None:
    found = {i.id for i in items if i.campaign_id == campaign.id}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise DecisionRefused(f"no item {', '.join(map(str, missing))} in campaign "
                              f"{campaign.id}")
    if decision == "take-hr":
        wrong = [i.id for i in items if i.finding != "mismatch"]
        if wrong:
            raise DecisionRefused(f"item {', '.join(map(str, wrong))}: only a mismatch has an "
                                  "HR value to take")
    names = set(store.mine(user))
    others = [i.id for i in items if i.reviewer not in names]
    if others:
        raise NotYours(f"item {', '.join(map(str, others))} is not yours to decide")
    if user.name in store.signed_off(conn, campaign.id):
        raise DecisionRefused("you signed this campaign off: your decisions are final")
    done = [i.id for i in items if i.state not in (OPEN, DECIDED)]
    if done:
        raise DecisionRefused(f"item {', '.join(map(str, done))} is final already")


def _seconds(conn: sa.Connection, campaign_id: int, actor: str, items: list[Item],
             at: datetime) -> float:
    """The time each decision took: since the reviewer's previous decision (or since their
    items opened), shared by the items decided at once; a long pause counts as none."""
    d = campaign_decisions.c
    last = conn.execute(sa.select(sa.func.max(d.at)).where(
        d.campaign_id == campaign_id, d.actor == actor)).scalar()
    since = store._utc(last) if last is not None else min(i.opened_at for i in items)
    elapsed = max(0.0, (at - since).total_seconds())
    return round(min(elapsed, PAUSE.total_seconds()) / len(items), 3)


def _advance(conn: sa.Connection, project: Project, campaign: Campaign, items: list[Item],
             at: datetime) -> None:
    """Approved before the last stage: open again at the next stage, for its reviewer."""
    if not items:
        return
    stage = campaign.stages[items[0].stage + 1]
    directory = Directory(conn, project, IDENTITY_TYPE, at.date())
    for item in items:
        identity = item.details.get("identity")
        reviewer = directory.reviewer(stage, identity, campaign.owner)
        conn.execute(sa.update(campaign_items).where(campaign_items.c.id == item.id).values(
            stage=item.stage + 1, reviewer=reviewer, state=OPEN, decision=None, comment=None,
            decided_by=None, decided_at=None, opened_at=at))


def _record(conn: sa.Connection, campaign: Campaign, items: list[Item], decision: str,
            comment: str | None, to: str | None, actor: str, at: datetime) -> None:
    conn.execute(sa.insert(campaign_decisions), [
        {"campaign_id": campaign.id, "item_id": i.id, "stage": i.stage, "actor": actor,
         "at": at, "decision": decision, "comment": comment,
         "forwarded_to": to if decision == "forward" else None} for i in items])
    conn.execute(sa.insert(audit_log), [
        {"at": at, "actor": actor, "action": f"campaign item {decision}",
         "target": f"campaign {campaign.id} item {i.id} ({i.subject_type} {i.subject_key}"
                   f"{' ' + i.property if i.property else ''})",
         "reason": comment} for i in items])
