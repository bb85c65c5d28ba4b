"""What is said to whom: a notification is plain data, the same for every way of sending it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from headcount.config.notifications import EVENT_KINDS, EventKind

__all__ = ["EVENT_KINDS", "EventKind", "Notification", "Recipient"]


@dataclass(frozen=True)
class Recipient:
    """A user of headcount who is told: the user name (preferences are kept by it) and the
    address the e-mail goes to."""

    user: str
    email: str
    display_name: str = ""


@dataclass(frozen=True)
class Notification:
    """One event told to its recipients. `link` is a path of the web UI (`/tasks/42`): each
    notifier makes it a full address with the project's `base_url`. `payload` is JSON data for
    machines (the webhook's body carries it as it is)."""

    kind: EventKind
    recipients: tuple[Recipient, ...]
    subject: str
    body: str
    link: str
    created: datetime
    payload: Mapping[str, Any] = field(default_factory=dict)
    html: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}")
        if self.created.tzinfo is None:
            raise ValueError("a notification's `created` needs a time zone")
        if not self.link.startswith("/"):
            raise ValueError(f"a notification's link is a path starting with '/': {self.link!r}")
        json.dumps(self.payload)  # a payload that is not JSON fails here, not at sending

    def url(self, base_url: str | None) -> str:
        """The link as a full address when the web UI's address is known, else the path."""
        return f"{base_url.rstrip('/')}{self.link}" if base_url else self.link
