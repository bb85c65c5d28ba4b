"""Notifications as a signed JSON POST to a system (a chat bridge, a ticketing tool)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any

import httpx

from headcount.notifications.errors import DeliveryFailed
from headcount.notifications.notification import EventKind, Notification
from headcount.notifications.notifier import Notifier
from headcount.notifications.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

EVENT_HEADER = "X-Headcount-Event"
DELIVERY_HEADER = "X-Headcount-Delivery"


def _now() -> datetime:
    return datetime.now(UTC)


def body(notification: Notification, delivery: str, base_url: str | None) -> dict[str, Any]:
    """The JSON document a receiver gets."""
    return {
        "id": delivery,
        "event": notification.kind,
        "created": notification.created.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "subject": notification.subject,
        "text": notification.body,
        "link": notification.link,
        "url": notification.url(base_url) if base_url else None,
        "recipients": [{"user": r.user, "email": r.email} for r in notification.recipients],
        "payload": dict(notification.payload),
    }


class WebhookNotifier(Notifier):
    """POSTs each notification of `events` to `url`, signed with `secret`. A 5xx, a 429 or no
    answer is retried `retries` times, waiting `backoff` seconds then twice as long each time;
    any other answer but 2xx fails at once — a redirect too: it is never followed, since the
    signed body would go to an address nobody configured."""

    def __init__(self, url: str, secret: bytes, *, events: Collection[EventKind],
                 base_url: str | None = None, timeout: float = 10, retries: int = 3,
                 backoff: float = 1, sleep: Callable[[float], None] = time.sleep,
                 now: Callable[[], datetime] = _now,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = url
        self.events = frozenset(events)
        self._secret = secret
        self._base_url = base_url
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff
        self._sleep = sleep
        self._now = now
        self._transport = transport

    def send(self, notification: Notification) -> None:
        if notification.kind not in self.events:
            return
        delivery = str(uuid.uuid4())  # the same on every attempt: receivers drop repeats by it
        content = json.dumps(body(notification, delivery, self._base_url),
                             ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        with httpx.Client(timeout=self._timeout, follow_redirects=False,
                          transport=self._transport) as client:
            for attempt in range(self._retries + 1):
                if attempt:
                    self._sleep(self._backoff * 2 ** (attempt - 1))
                failure = self._attempt(client, notification, delivery, content)
                if failure is None:
                    return
                reason, retry = failure
                if not retry:
                    break
            else:
                if self._retries:
                    reason = f"{reason} (after {self._retries + 1} attempts)"
        raise DeliveryFailed(self.url, reason)

    def _attempt(self, client: httpx.Client, notification: Notification, delivery: str,
                 content: bytes) -> tuple[str, bool] | None:
        """None when delivered, else why not and whether to try again."""
        # Signed at each attempt: a retry after a long back-off must not look like a replay.
        timestamp = int(self._now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "headcount",
            EVENT_HEADER: notification.kind,
            DELIVERY_HEADER: delivery,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self._secret, timestamp, content),
        }
        try:
            response = client.post(self.url, content=content, headers=headers)
        except httpx.TransportError as exc:
            return f"no answer: {exc or type(exc).__name__}", True
        status = response.status_code
        if response.is_success:
            return None
        if response.is_redirect:
            where = response.headers.get("Location", "?")
            return (f"answered {status} to {where}: redirects are not followed, "
                    "configure the final address"), False
        retry = status >= 500 or status == 429
        return f"answered {status} {response.reason_phrase}".rstrip(), retry
