"""The one interface every way of notifying implements."""

from __future__ import annotations

from abc import ABC, abstractmethod

from headcount.notifications.notification import Notification


class Notifier(ABC):
    """Tells a notification to its recipients (e-mail) or to a system (webhook). `send` returns
    once delivered and raises `DeliveryFailed` (or `DeliveriesFailed`) when it could not be."""

    @abstractmethod
    def send(self, notification: Notification) -> None:
        """Deliver `notification`, or raise."""
