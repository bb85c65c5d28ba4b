"""Several notifiers as one: each gets every notification, whatever the others do."""

from __future__ import annotations

import pytest

from headcount.notifications import (
    Broadcast,
    DeliveriesFailed,
    DeliveryFailed,
    MemoryNotifier,
    Notification,
    Notifier,
)
from notifying import notification


class Down(Notifier):
    def __init__(self, *destinations: str) -> None:
        self.destinations = destinations

    def send(self, notification: Notification) -> None:
        if len(self.destinations) == 1:
            raise DeliveryFailed(self.destinations[0], "down")
        raise DeliveriesFailed([DeliveryFailed(d, "down") for d in self.destinations])


def test_a_failure_does_not_keep_the_others_from_their_copy() -> None:
    first, last = MemoryNotifier(), MemoryNotifier()
    broadcast = Broadcast([first, Down("smtp://mail:587"), Down("https://a/", "https://b/"),
                           last])
    with pytest.raises(DeliveriesFailed) as caught:
        broadcast.send(notification())
    assert [f.destination for f in caught.value.failures] == [
        "smtp://mail:587", "https://a/", "https://b/"]
    assert len(first.sent) == len(last.sent) == 1


def test_a_broadcast_to_nobody_sends_nothing() -> None:
    Broadcast([]).send(notification())
