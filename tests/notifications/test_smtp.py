"""E-mail through a real SMTP server started by the test: what arrives, to whom, with which
headers; log-in over STARTTLS and implicit TLS; what a failure says."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from headcount.config.notifications import Notifications, SmtpSettings
from headcount.notifications import (
    DeliveriesFailed,
    DeliveryFailed,
    MissingSecret,
    Recipient,
    SmtpNotifier,
    configured_notifier,
)
from notifying import PASSWORD, TLS, USER, StartMailServer, notification

ALICE = Recipient("alice", "alice@example.com", "Alice Martin")
BOB = Recipient("bob", "bob@example.com")


def _settings(port: int, security: str = "none", **more: object) -> SmtpSettings:
    return SmtpSettings.model_validate(
        {"host": "127.0.0.1", "port": port, "security": security,
         "from": "headcount@example.com", **more})


def test_each_recipient_gets_its_own_message(start_mail_server: StartMailServer) -> None:
    server = start_mail_server("none")
    notifier = SmtpNotifier(_settings(server.port), base_url="https://hc.example.com")
    notifier.send(notification("task_assigned", ALICE, BOB))

    assert [(r.mail_from, r.rcpt_tos) for r in server.received] == [
        ("headcount@example.com", ["alice@example.com"]),
        ("headcount@example.com", ["bob@example.com"])]
    first, second = (r.message for r in server.received)
    assert first["To"] == "Alice Martin <alice@example.com>"
    assert second["To"] == "bob@example.com"
    assert first["From"] == "headcount <headcount@example.com>"
    assert first["Subject"] == "New employee: Dupont Marie — review"
    assert first["Date"] == "Mon, 02 Mar 2026 08:15:00 +0000"
    assert first["Auto-Submitted"] == "auto-generated"
    assert first["X-Headcount-Event"] == "task_assigned"
    assert first["Message-ID"].endswith("@example.com>")
    assert first["Message-ID"] != second["Message-ID"]
    assert first.get_content_type() == "text/plain"
    assert first.get_content() == ("Marie Dupont joins Sales on 2026-03-16.\nReview her record."
                                   "\n\nhttps://hc.example.com/tasks/42\n")


def test_an_html_body_is_an_alternative_to_the_text(start_mail_server: StartMailServer) -> None:
    server = start_mail_server("none")
    SmtpNotifier(_settings(server.port)).send(
        notification("task_decided", ALICE, html="<p>Approved by <b>Bob</b></p>"))

    message = server.received[0].message
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert text.get_content().endswith("\n\n/tasks/42\n")  # no base_url: the bare path
    assert html.get_content() == "<p>Approved by <b>Bob</b></p>\n"


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_log_in_over_tls_from_the_project_settings(
        start_mail_server: StartMailServer, tmp_path: Path, security: str) -> None:
    server = start_mail_server(security)
    (tmp_path / "ca.pem").write_bytes((TLS / "ca.crt").read_bytes())
    settings = Notifications.model_validate({
        "base_url": "https://hc.example.com",
        "smtp": {"host": "127.0.0.1", "port": server.port, "security": security,
                 "username": USER, "from": "HR robot <hr@example.com>", "ca_file": "ca.pem"}})
    notifier = configured_notifier(settings, {"HEADCOUNT_SMTP_PASSWORD": PASSWORD}, tmp_path)
    notifier.send(notification("task_escalated", BOB))

    (received,) = server.received
    assert received.rcpt_tos == ["bob@example.com"]
    assert received.message["From"] == "HR robot <hr@example.com>"
    assert received.message["X-Headcount-Event"] == "task_escalated"


def test_a_wrong_password_is_told(start_mail_server: StartMailServer) -> None:
    server = start_mail_server("starttls")
    tls = ssl.create_default_context(cafile=str(TLS / "ca.crt"))
    notifier = SmtpNotifier(_settings(server.port, "starttls", username=USER, timeout=5), "wrong",
                            tls=tls)
    with pytest.raises(DeliveryFailed) as caught:
        notifier.send(notification())
    assert str(caught.value) == (f"smtp://127.0.0.1:{server.port}: the relay refused the log-in "
                                 "(user name or password)")
    assert server.received == []


def test_an_untrusted_certificate_is_refused(start_mail_server: StartMailServer) -> None:
    server = start_mail_server("starttls")
    notifier = SmtpNotifier(_settings(server.port, "starttls", username=USER), PASSWORD)
    with pytest.raises(DeliveryFailed, match=r"TLS failed: .*CERTIFICATE_VERIFY_FAILED"):
        notifier.send(notification())


def test_a_refused_address_does_not_stop_the_others(start_mail_server: StartMailServer) -> None:
    server = start_mail_server("none")
    server.refuse.add("alice@example.com")
    with pytest.raises(DeliveriesFailed) as caught:
        SmtpNotifier(_settings(server.port)).send(notification("task_reminder", ALICE, BOB))
    assert [r.rcpt_tos for r in server.received] == [["bob@example.com"]]
    (failure,) = caught.value.failures
    assert "refused the message to alice@example.com" in failure.reason
    assert "no such user" in failure.reason


def test_an_unreachable_relay_is_told() -> None:
    from servers import free_port

    port = free_port()
    with pytest.raises(DeliveryFailed, match=rf"^smtp://127.0.0.1:{port}: cannot reach the relay"):
        SmtpNotifier(_settings(port)).send(notification())


def test_a_missing_password_is_told_before_anything_is_sent(tmp_path: Path) -> None:
    settings = Notifications.model_validate({"smtp": {
        "host": "mail", "username": USER, "password_env": "HC_TEST_SMTP", "from": "h@example.com"}})
    with pytest.raises(MissingSecret) as caught:
        configured_notifier(settings, {}, tmp_path)
    assert str(caught.value) == ("notifications.smtp.password_env: the environment variable "
                                 "HC_TEST_SMTP is not set")
