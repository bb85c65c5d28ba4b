"""Daily digests: who prefers one e-mail a day gets, per day, one notification listing what they
were told that day — and nothing at the moment it happened."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, date, tzinfo
from enum import StrEnum
from typing import Any

from headcount.notifications.notification import Notification, Recipient


class Delivery(StrEnum):
    IMMEDIATE = "immediate"
    DAILY = "daily"


Preferences = Mapping[str, Delivery]  # user name → delivery; a user not in it: immediate


def _wants(preferences: Preferences, recipient: Recipient) -> Delivery:
    return preferences.get(recipient.user, Delivery.IMMEDIATE)


def immediate(notifications: Iterable[Notification], preferences: Preferences
              ) -> list[Notification]:
    """The notifications to send now, each to its recipients who want them at once (those
    with no such recipient left are dropped). Digests pass unchanged."""
    out: list[Notification] = []
    for n in notifications:
        if n.kind == "digest":
            out.append(n)
            continue
        now = tuple(r for r in n.recipients if _wants(preferences, r) is Delivery.IMMEDIATE)
        if now:
            out.append(n if now == n.recipients else replace(n, recipients=now))
    return out


def daily_digests(notifications: Iterable[Notification], preferences: Preferences, *,
                  timezone: tzinfo = UTC, base_url: str | None = None,
                  link: str = "/tasks") -> list[Notification]:
    """One digest per recipient who wants them daily and per day (in `timezone`) of what they
    were told, oldest first. A notification given twice is listed once, and the order of the
    input does not matter: gathering the same day again gives the same digests."""
    gathered: dict[tuple[Recipient, date], dict[str, Notification]] = {}
    for n in notifications:
        if n.kind == "digest":
            continue
        day = n.created.astimezone(timezone).date()
        for r in n.recipients:
            if _wants(preferences, r) is Delivery.DAILY:
                gathered.setdefault((r, day), {})[_identity(n)] = n
    digests = [_digest(recipient, day, items, base_url, link)
               for (recipient, day), items in gathered.items()]
    return sorted(digests, key=lambda d: (d.payload["day"], d.recipients[0].user,
                                          d.recipients[0].email))


def _identity(n: Notification) -> str:
    """What makes two notifications the same one (recipients aside: a digest is for one)."""
    return json.dumps([n.created.isoformat(), n.kind, n.subject, n.body, n.link,
                       n.payload], sort_keys=True, default=str)


def _digest(recipient: Recipient, day: date, items: dict[str, Notification],
            base_url: str | None, link: str) -> Notification:
    ordered = sorted(items.values(), key=lambda n: (n.created, _identity(n)))
    count = f"{len(ordered)} notification{'s' if len(ordered) > 1 else ''}"
    lines = [f"headcount: {count} of {day.isoformat()}.", ""]
    for n in ordered:
        lines += [f"- {n.subject}", f"  {n.url(base_url)}"]
    entries: list[dict[str, Any]] = [
        {"event": n.kind, "created": n.created.isoformat(), "subject": n.subject,
         "link": n.link, "payload": dict(n.payload)} for n in ordered]
    return Notification(
        kind="digest", recipients=(recipient,), subject=f"headcount: {count} of {day}",
        body="\n".join(lines), link=link, created=ordered[-1].created,
        payload={"day": day.isoformat(), "items": entries})
