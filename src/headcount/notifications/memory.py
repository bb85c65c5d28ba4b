"""A notifier that keeps what it is given: for the tests of the packages that notify."""

from __future__ import annotations

from headcount.notifications.notification import EventKind, Notification
from headcount.notifications.notifier import Notifier


class MemoryNotifier(Notifier):
    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def send(self, notification: Notification) -> None:
        self.sent.append(notification)

    def received_by(self, user: str, kind: EventKind | None = None) -> list[Notification]:
        """What `user` was told, oldest first (of one kind when given)."""
        return [n for n in self.sent
                if any(r.user == user for r in n.recipients) and kind in (None, n.kind)]
