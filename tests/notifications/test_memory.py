"""The in-memory notifier other packages' tests use, and what every notification must be."""

from __future__ import annotations

from datetime import datetime

import pytest

from headcount.notifications import MemoryNotifier, Notification, Recipient
from notifying import notification

BOB = Recipient("bob", "bob@example.com")


def test_it_keeps_what_each_user_was_told() -> None:
    memory = MemoryNotifier()
    memory.send(notification("task_assigned"))
    memory.send(notification("task_escalated", BOB))
    memory.send(notification("task_decided", BOB))
    assert [n.kind for n in memory.received_by("bob")] == ["task_escalated", "task_decided"]
    assert [n.kind for n in memory.received_by("bob", "task_decided")] == ["task_decided"]
    assert [n.kind for n in memory.received_by("alice")] == ["task_assigned"]
    assert memory.received_by("carol") == []


@pytest.mark.parametrize(("change", "message"), [
    ({"kind": "task_lost"}, "unknown event kind"),
    ({"created": datetime(2026, 3, 2, 8, 15)}, "needs a time zone"),
    ({"link": "https://elsewhere.example.com/"}, "a path starting with '/'"),
    ({"payload": {"when": datetime(2026, 3, 2)}}, "not JSON serializable"),
])
def test_a_notification_is_checked_when_made(change: dict[str, object], message: str) -> None:
    fields = {"kind": "task_assigned", "recipients": (BOB,), "subject": "s", "body": "b",
              "link": "/tasks/1", "created": notification().created, "payload": {}} | change
    with pytest.raises((ValueError, TypeError), match=message):
        Notification(**fields)  # type: ignore[arg-type]
