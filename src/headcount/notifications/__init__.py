"""Notifications (issue 9): telling people (e-mail through SMTP, daily digests) and systems
(signed webhooks) that a task was assigned, escalated, reminded or decided. A leaf: it knows
nothing of workflows, which build `Notification`s and hand them to a `Notifier`."""

from headcount.notifications.broadcast import Broadcast
from headcount.notifications.digest import Delivery, Preferences, daily_digests, immediate
from headcount.notifications.errors import (
    BadSignature,
    DeliveriesFailed,
    DeliveryFailed,
    MissingSecret,
)
from headcount.notifications.memory import MemoryNotifier
from headcount.notifications.notification import EVENT_KINDS, EventKind, Notification, Recipient
from headcount.notifications.notifier import Notifier
from headcount.notifications.settings import configured_notifier
from headcount.notifications.signature import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
    verify,
)
from headcount.notifications.smtp import SmtpNotifier
from headcount.notifications.webhook import WebhookNotifier

__all__ = [
    "EVENT_KINDS",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "BadSignature",
    "Broadcast",
    "DeliveriesFailed",
    "Delivery",
    "DeliveryFailed",
    "EventKind",
    "MemoryNotifier",
    "MissingSecret",
    "Notification",
    "Notifier",
    "Preferences",
    "Recipient",
    "SmtpNotifier",
    "WebhookNotifier",
    "configured_notifier",
    "daily_digests",
    "immediate",
    "sign",
    "verify",
]
