"""Several notifiers as one: each is tried, whatever the others do."""

from __future__ import annotations

from collections.abc import Sequence

from headcount.notifications.errors import DeliveriesFailed, DeliveryFailed
from headcount.notifications.notification import Notification
from headcount.notifications.notifier import Notifier


class Broadcast(Notifier):
    def __init__(self, notifiers: Sequence[Notifier]) -> None:
        self.notifiers = list(notifiers)

    def send(self, notification: Notification) -> None:
        """Send to every notifier; a failing webhook does not keep the e-mail from leaving.
        Raise DeliveriesFailed listing every failure at the end."""
        failures: list[DeliveryFailed] = []
        for notifier in self.notifiers:
            try:
                notifier.send(notification)
            except DeliveryFailed as exc:
                failures.append(exc)
            except DeliveriesFailed as exc:
                failures += exc.failures
        if failures:
            raise DeliveriesFailed(failures)
