"""Sending the outbox (issue 9): after the transaction that wrote them commits, pending notices
go out through the project's notifiers — e-mail grouped per recipient (one message for the
tasks of one kind that waited for them, a daily digest for who chose one), each event to the
webhooks that listen to it. A notice is marked sent once delivered; a failure is recorded and
retried by the next delivery, never lost; a webhook that took an event is not sent it again."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from headcount.config.model import Project
from headcount.config.notifications import JOB_EVENTS
from headcount.notifications import (
    DeliveriesFailed,
    DeliveryFailed,
    Notification,
    Notifier,
    Recipient,
    SmtpNotifier,
    WebhookNotifier,
    configured_notifier,
    daily_digests,
)
from headcount.notifications.digest import Delivery
from headcount.repository.database import begin_write
from headcount.repository.schema import outbox, users
from headcount.workflows.notices import EMAIL, EVENT
from headcount.workflows.recipients import utc

# A delivery that died (a killed process) leaves its claim: taken over after this long.
STALE = timedelta(minutes=15)


@dataclass(frozen=True)
class Delivered:
    sent: int  # notices delivered
    messages: int  # e-mails and webhook requests that carried them
    failed: int  # notices kept for the next delivery
    errors: list[str]


@dataclass(frozen=True)
class _Row:
    id: int
    kind: str
    channel: str
    recipient: str | None
    email: str | None
    created_at: datetime
    subject: str
    body: str
    link: str
    payload: dict[str, Any]
    delivered_to: list[str]


def deliver(engine: sa.Engine, project: Project, now: datetime,
            environ: Mapping[str, str] | None = None, folder: Path | None = None
            ) -> Delivered:
    """Send what is pending at `now`: every notice of who wants them at once, and the notices
    of the days before `now`'s (UTC) of who wants a daily digest. Raise MissingSecret before
    anything is sent when a secret's variable is not set."""
    settings = project.notifications
    if settings.smtp is None and not settings.webhooks:
        return Delivered(0, 0, 0, [])
    notifiers = configured_notifier(settings, os.environ if environ is None else environ,
                                    folder or Path("."))
    at = now.astimezone(UTC)
    rows = _claim(engine, at)
    smtp = next((n for n in notifiers.notifiers if isinstance(n, SmtpNotifier)), None)
    hooks = [n for n in notifiers.notifiers if isinstance(n, WebhookNotifier)]
    outcome = _Outcome(engine, at)
    by_recipient: dict[str, list[_Row]] = {}
    alarms: list[_Row] = []
    for row in rows:
        if row.channel == EMAIL and row.kind in JOB_EVENTS:
            alarms.append(row)
        elif row.channel == EMAIL:
            by_recipient.setdefault(row.recipient or "", []).append(row)
        else:
            _event(outcome, row, hooks)
    for row in alarms:
        # A job event is an alarm: its own e-mail at once, whatever the person's preference.
        if smtp is None:
            outcome.release([row], None)
        else:
            outcome.send(smtp, _notification(row, (Recipient(row.recipient or "",
                                                             row.email or ""),)), [row])
    preferences = _preferences(engine, list(by_recipient))
    for name, mine in sorted(by_recipient.items()):
        if smtp is None:
            outcome.release(mine, None)  # e-mail no longer configured: kept for when it is
            continue
        for group, notification in _messages(name, mine, preferences, settings.base_url):
            outcome.send(smtp, notification, group)
    return Delivered(outcome.sent, outcome.messages, outcome.failed, outcome.errors)


class _Outcome:
    """Marks each group of rows as it goes: a crash loses nothing and repeats one group at
    most."""

    def __init__(self, engine: sa.Engine, at: datetime) -> None:
        self.engine = engine
        self.at = at
        self.sent = self.messages = self.failed = 0
        self.errors: list[str] = []

    def send(self, notifier: Notifier, notification: Notification, rows: Sequence[_Row]
             ) -> bool:
        self.messages += 1
        try:
            notifier.send(notification)
        except (DeliveryFailed, DeliveriesFailed) as exc:
            self.release(rows, str(exc))
            return False
        self.done(rows)
        return True

    def done(self, rows: Sequence[_Row], delivered_to: list[str] | None = None) -> None:
        with begin_write(self.engine) as conn:
            conn.execute(sa.update(outbox).where(outbox.c.id.in_([r.id for r in rows])).values(
                sent_at=self.at, claim=None, error=None, attempts=outbox.c.attempts + 1,
                **({"delivered_to": json.dumps(delivered_to)} if delivered_to else {})))
        self.sent += len(rows)

    def release(self, rows: Sequence[_Row], error: str | None,
                delivered_to: list[str] | None = None) -> None:
        with begin_write(self.engine) as conn:
            conn.execute(sa.update(outbox).where(outbox.c.id.in_([r.id for r in rows])).values(
                claim=None, error=error,
                attempts=outbox.c.attempts + (1 if error else 0),
                **({"delivered_to": json.dumps(delivered_to)} if delivered_to else {})))
        if error:
            self.failed += len(rows)
            self.errors.append(error)


def _event(outcome: _Outcome, row: _Row, hooks: Sequence[WebhookNotifier]) -> None:
    """One event to each webhook that listens to it (a job event: that its rules name) and has
    not taken it yet."""
    done = list(row.delivered_to)
    failures = []
    recipients = tuple(Recipient(name, "") for name in row.payload.get("recipients", []))
    notification = _notification(row, recipients)
    named = row.payload.get("webhooks")
    for hook in hooks:
        wanted = hook.url in named if named is not None else notification.kind in hook.events
        if hook.url in done or not wanted:
            continue
        outcome.messages += 1
        try:
            hook.send(notification)
            done.append(hook.url)
        except DeliveryFailed as exc:
            failures.append(str(exc))
    if failures:
        outcome.release([row], "; ".join(failures), done)
    else:
        outcome.done([row], done)


def _messages(name: str, rows: Sequence[_Row], preferences: Mapping[str, Delivery],
              base_url: str | None) -> list[tuple[list[_Row], Notification]]:
    """The e-mails to `name`: a daily digest per day for who wants one; else one per kind
    of notice (all the tasks assigned to them in one run are one e-mail)."""
    recipient = Recipient(name, rows[0].email or "")
    if preferences.get(name) is Delivery.DAILY:
        by_day: dict[str, list[_Row]] = {}
        for row in rows:
            by_day.setdefault(row.created_at.date().isoformat(), []).append(row)
        return [(group, daily_digests([_notification(r, (recipient,)) for r in group],
                                      preferences, base_url=base_url)[0])
                for _, group in sorted(by_day.items())]
    by_kind: dict[str, list[_Row]] = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    out = []
    for kind, group in sorted(by_kind.items()):
        if len(group) == 1:
            out.append((group, _notification(group[0], (recipient,))))
            continue
        lines = [f"- {r.subject}\n  {base_url or ''}{r.link}" for r in group]
        out.append((group, Notification(
            kind=group[0].kind,  # type: ignore[arg-type]  # written from EventKind
            recipients=(recipient,), subject=f"headcount: {len(group)} {_TITLES[kind]}",
            body="\n".join(lines), link="/tasks", created=group[-1].created_at,
            payload={"tasks": [r.payload.get("task") for r in group]})))
    return out


_TITLES = {"task_assigned": "tasks wait for you", "task_reminder": "tasks are due soon",
           "task_escalated": "tasks escalated to you", "task_decided": "tasks decided"}


def _notification(row: _Row, recipients: tuple[Recipient, ...]) -> Notification:
    payload = {k: v for k, v in row.payload.items() if k not in ("recipients", "webhooks")}
    return Notification(kind=row.kind, recipients=recipients,  # type: ignore[arg-type]
                        subject=row.subject, body=row.body, link=row.link,
                        created=row.created_at, payload=payload)


def _claim(engine: sa.Engine, at: datetime) -> list[_Row]:
    """Take the pending rows due at `at`, so that a delivery running meanwhile leaves them."""
    o = outbox.c
    token = secrets.token_hex(16)
    today = datetime.combine(at.date(), time(0), tzinfo=UTC)
    immediate = sa.select(users.c.name).where(users.c.delivery != Delivery.DAILY.value)
    with begin_write(engine) as conn:
        conn.execute(sa.update(outbox).where(
            o.sent_at.is_(None),
            sa.or_(o.claim.is_(None), o.claimed_at < at - STALE),
            sa.or_(o.channel == EVENT, o.kind.in_(JOB_EVENTS), o.recipient.in_(immediate),
                   o.created_at < today))
            .values(claim=token, claimed_at=at))
        rows = conn.execute(sa.select(outbox).where(o.claim == token).order_by(o.id)).all()
    return [_Row(r.id, r.kind, r.channel, r.recipient, r.email, utc(r.created_at), r.subject,
                 r.body, r.link, json.loads(r.payload), json.loads(r.delivered_to))
            for r in rows]


def _preferences(engine: sa.Engine, names: list[str]) -> dict[str, Delivery]:
    if not names:
        return {}
    with engine.connect() as conn:
        return {n: Delivery(d) for n, d in conn.execute(
            sa.select(users.c.name, users.c.delivery).where(users.c.name.in_(names)))}
