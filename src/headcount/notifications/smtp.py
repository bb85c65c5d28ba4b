"""Notifications as e-mail through an SMTP relay: one message per recipient (docs/notifications.md
says why), plain text with an optional HTML alternative."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr

from headcount.config.notifications import SmtpSettings
from headcount.notifications.errors import DeliveriesFailed, DeliveryFailed
from headcount.notifications.notification import Notification, Recipient
from headcount.notifications.notifier import Notifier

EVENT_HEADER = "X-Headcount-Event"


class SmtpNotifier(Notifier):
    """Sends each recipient of a notification its own message, over one connection."""

    def __init__(self, settings: SmtpSettings, password: str | None = None, *,
                 base_url: str | None = None, tls: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self._password = password
        self._base_url = base_url
        self._tls = tls or ssl.create_default_context()
        name, address = parseaddr(settings.sender)
        self._sender = formataddr((name or "headcount", address))
        self._domain = address.rpartition("@")[2]

    @property
    def destination(self) -> str:
        return f"smtp://{self.settings.host}:{self.settings.effective_port}"

    def message(self, notification: Notification, recipient: Recipient) -> EmailMessage:
        """The message `recipient` receives."""
        msg = EmailMessage()
        msg["From"] = self._sender
        msg["To"] = formataddr((recipient.display_name, recipient.email))
        msg["Subject"] = notification.subject
        msg["Date"] = format_datetime(notification.created)
        msg["Message-ID"] = make_msgid(domain=self._domain)
        # RFC 3834: out-of-office robots do not answer a machine.
        msg["Auto-Submitted"] = "auto-generated"
        msg[EVENT_HEADER] = notification.kind
        msg.set_content(f"{notification.body.rstrip()}\n\n{notification.url(self._base_url)}\n")
        if notification.html is not None:
            msg.add_alternative(notification.html, subtype="html")
        return msg

    def send(self, notification: Notification) -> None:
        if not notification.recipients:
            return
        failures: list[DeliveryFailed] = []
        try:
            with self._connect() as relay:
                for recipient in notification.recipients:
                    try:
                        relay.send_message(self.message(notification, recipient),
                                           to_addrs=[recipient.email])
                    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError,
                            smtplib.SMTPSenderRefused) as exc:
                        failures.append(DeliveryFailed(
                            self.destination, f"refused the message to {recipient.email}: {exc}"))
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(self.destination, _reason(exc)) from exc
        if failures:
            raise DeliveriesFailed(failures)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        relay: smtplib.SMTP
        if s.security == "tls":
            relay = smtplib.SMTP_SSL(s.host, s.effective_port, timeout=s.timeout,
                                     context=self._tls)
        else:
            relay = smtplib.SMTP(s.host, s.effective_port, timeout=s.timeout)
        try:
            if s.security == "starttls":
                relay.starttls(context=self._tls)
            if s.username:
                relay.login(s.username, self._password or "")
        except BaseException:
            relay.close()
            raise
        return relay


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "the relay refused the log-in (user name or password)"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"the relay does not offer it: {exc}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc}"
    if isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException):
        return f"cannot reach the relay: {exc.strerror or exc}"
    return str(exc) or type(exc).__name__
