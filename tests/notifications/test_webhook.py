"""Webhooks against a real HTTP receiver — the one docs/notifications.md gives integrators, which
verifies the signature: what it receives, retries with back-off, a wrong secret, no redirect."""

from __future__ import annotations

from pathlib import Path

import pytest

from headcount.config.notifications import Notifications
from headcount.notifications import (
    DeliveriesFailed,
    DeliveryFailed,
    MissingSecret,
    Recipient,
    WebhookNotifier,
    configured_notifier,
)
from headcount.notifications.notification import EVENT_KINDS
from notifying import StartHook, notification
from servers import free_port

TASK_EVENTS = [k for k in EVENT_KINDS if k != "digest"]


def _notifier(url: str, secret: bytes, sleeps: list[float] | None = None,
              **options: object) -> WebhookNotifier:
    waits = [] if sleeps is None else sleeps
    return WebhookNotifier(url, secret, events=options.pop("events", TASK_EVENTS),  # type: ignore[arg-type]
                           base_url="https://hc.example.com", sleep=waits.append,
                           **options)  # type: ignore[arg-type]


def test_the_receiver_verifies_and_gets_the_event(start_hook: StartHook) -> None:
    hook = start_hook()
    _notifier(hook.url, hook.secret).send(
        notification("task_assigned", Recipient("alice", "alice@example.com", "Alice Martin")))

    (event,) = hook.events
    assert event.pop("id") == hook.requests[0]["X-Headcount-Delivery"]
    assert event == {
        "event": "task_assigned", "created": "2026-03-02T08:15:00Z",
        "subject": "New employee: Dupont Marie — review",
        "text": "Marie Dupont joins Sales on 2026-03-16.\nReview her record.",
        "link": "/tasks/42", "url": "https://hc.example.com/tasks/42",
        "recipients": [{"user": "alice", "email": "alice@example.com"}],
        "payload": {"task": 42, "subject": "Dupont Marie"}}
    (request,) = hook.requests
    assert request["path"] == "/hooks/headcount"
    assert request["Content-Type"] == "application/json"
    assert request["X-Headcount-Event"] == "task_assigned"
    assert request["X-Headcount-Signature"].startswith("sha256=")


def test_a_receiver_failing_twice_gets_it_the_third_time(start_hook: StartHook) -> None:
    hook = start_hook(planned=(503, 500))
    sleeps: list[float] = []
    _notifier(hook.url, hook.secret, sleeps, backoff=0.5).send(notification("task_decided"))

    assert len(hook.events) == 1
    assert sleeps == [0.5, 1.0]  # doubled each time
    deliveries = {r["X-Headcount-Delivery"] for r in hook.requests}
    assert len(hook.requests) == 3
    assert len(deliveries) == 1  # one delivery, three attempts: the receiver can drop repeats


def test_retries_end_with_a_failure(start_hook: StartHook) -> None:
    hook = start_hook(planned=(503, 503, 429))
    sleeps: list[float] = []
    with pytest.raises(DeliveryFailed) as caught:
        _notifier(hook.url, hook.secret, sleeps, retries=2).send(notification())
    assert str(caught.value) == f"{hook.url}: answered 429 Too Many Requests (after 3 attempts)"
    assert sleeps == [1, 2]
    assert hook.events == []


def test_a_wrong_secret_is_refused_by_the_receiver(start_hook: StartHook) -> None:
    hook = start_hook(secret=b"the receiver's secret")
    sleeps: list[float] = []
    with pytest.raises(DeliveryFailed) as caught:
        _notifier(hook.url, b"another secret", sleeps).send(notification())
    assert caught.value.reason == "answered 401 Unauthorized"
    assert sleeps == []  # a 4xx is not retried
    assert hook.events == []


def test_a_redirect_is_not_followed(start_hook: StartHook) -> None:
    hook = start_hook(planned=(307,))
    with pytest.raises(DeliveryFailed) as caught:
        _notifier(hook.url, hook.secret).send(notification())
    assert caught.value.reason == ("answered 307 to /elsewhere: redirects are not followed, "
                                   "configure the final address")
    assert [r["path"] for r in hook.requests] == ["/hooks/headcount"]


def test_no_answer_is_retried() -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    sleeps: list[float] = []
    with pytest.raises(DeliveryFailed, match=r"no answer: .* \(after 2 attempts\)$"):
        _notifier(url, b"s", sleeps, retries=1, timeout=2).send(notification())
    assert sleeps == [1]


def test_only_the_events_asked_for_are_sent(start_hook: StartHook) -> None:
    hook = start_hook()
    notifier = _notifier(hook.url, hook.secret, events=["task_escalated"])
    for kind in EVENT_KINDS:
        notifier.send(notification(kind))
    assert [e["event"] for e in hook.events] == ["task_escalated"]


def test_every_webhook_of_the_project_gets_its_events(start_hook: StartHook,
                                                      tmp_path: Path) -> None:
    chat, tickets = start_hook(secret=b"chat secret"), start_hook(secret=b"tickets secret")
    settings = Notifications.model_validate({"webhooks": [
        {"url": chat.url, "secret_env": "CHAT_SECRET"},
        {"url": tickets.url, "secret_env": "TICKETS_SECRET", "events": ["task_escalated"]}]})
    notifier = configured_notifier(
        settings, {"CHAT_SECRET": "chat secret", "TICKETS_SECRET": "tickets secret"}, tmp_path)
    notifier.send(notification("task_assigned"))
    notifier.send(notification("task_escalated"))
    assert [e["event"] for e in chat.events] == ["task_assigned", "task_escalated"]
    assert [e["event"] for e in tickets.events] == ["task_escalated"]
    assert chat.events[0]["url"] is None  # no base_url: the path only, in `link`


def test_a_failing_webhook_does_not_keep_the_others_from_their_copy(
        start_hook: StartHook, tmp_path: Path) -> None:
    broken, working = start_hook(planned=(404,)), start_hook()
    settings = Notifications.model_validate({"webhooks": [
        {"url": broken.url, "secret_env": "S"}, {"url": working.url, "secret_env": "S"}]})
    notifier = configured_notifier(settings, {"S": "the shared secret"}, tmp_path)
    with pytest.raises(DeliveriesFailed) as caught:
        notifier.send(notification())
    assert str(caught.value) == f"{broken.url}: answered 404 Not Found"
    assert len(working.events) == 1


def test_a_missing_secret_names_its_variable(tmp_path: Path) -> None:
    settings = Notifications.model_validate({"webhooks": [
        {"url": "https://a.example.com/", "secret_env": "HC_TEST_HOOK"}]})
    with pytest.raises(MissingSecret, match=r"^notifications.webhooks\[0\].secret_env: the "
                                            "environment variable HC_TEST_HOOK is not set$"):
        configured_notifier(settings, {"HC_TEST_HOOK": ""}, tmp_path)
