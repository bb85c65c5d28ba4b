"""What the notification tests share, and the tests of packages that notify can use: a
notification to send, a real SMTP server (aiosmtpd) that keeps what arrives, and a real HTTP
server running the webhook receiver that docs/notifications.md gives to integrators."""

from __future__ import annotations

import email
import re
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from headcount.notifications import Notification, Recipient
from servers import free_port

HERE = Path(__file__).resolve().parent / "notifications"
TLS = HERE / "tls"  # a test authority and a certificate for localhost / 127.0.0.1 it signed
DOC = HERE.parents[1] / "docs" / "notifications.md"
USER, PASSWORD = "headcount", "s3cret"


def notification(kind: str = "task_assigned", *recipients: Recipient,
                 subject: str = "New employee: Dupont Marie — review",
                 html: str | None = None) -> Notification:
    return Notification(
        kind=kind,  # type: ignore[arg-type]  # the tests give each kind by name
        recipients=recipients or (Recipient("alice", "alice@example.com", "Alice Martin"),),
        subject=subject, body="Marie Dupont joins Sales on 2026-03-16.\nReview her record.",
        link="/tasks/42", created=datetime(2026, 3, 2, 8, 15, tzinfo=UTC),
        payload={"task": 42, "subject": "Dupont Marie"}, html=html)


StartMailServer = Callable[[str], "MailServer"]
StartHook = Callable[..., "Hook"]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class MailServer:
    """What the SMTP server received, and how to reach it."""

    port: int
    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # addresses answered 550

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # As a mail client shows it: lines end with \n, not SMTP's \r\n.
        content = (envelope.original_content or b"").replace(b"\r\n", b"\n")
        message = email.message_from_bytes(content, policy=default)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), message))
        return "250 OK"


def authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                  data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) \
        and (data.login, data.password) == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)  # handled: aiosmtpd would answer nothing


def server_tls() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "localhost.crt", TLS / "localhost.key")
    return context


def documented_receiver() -> type[BaseHTTPRequestHandler]:
    """The `Receiver` class of the Python snippet in docs/notifications.md."""
    text = DOC.read_text(encoding="utf-8")
    snippet = next(block for block in re.findall(r"```python\n(.*?)```", text, re.DOTALL)
                   if "class Receiver" in block)
    namespace: dict[str, Any] = {"__name__": "receiver"}
    exec(compile(snippet, str(DOC), "exec"), namespace)
    receiver: type[BaseHTTPRequestHandler] = namespace["Receiver"]
    return receiver


@dataclass
class Hook:
    """A webhook receiver: the documented one, fronted by planned answers (a status for each
    of the first requests, e.g. two 503s) — what it handled, and every request it saw."""

    url: str
    secret: bytes
    planned: list[int] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, str]] = field(default_factory=list)


@contextmanager
def running_mail_server(security: str = "none") -> Iterator[MailServer]:
    """An SMTP server on 127.0.0.1 for a security (`none`: no log-in; `starttls`: log-in
    required, as USER / PASSWORD; `tls`: log-in offered), stopped at the end."""
    server = MailServer(free_port())
    options: dict[str, Any] = {}
    if security == "starttls":
        options = {"tls_context": server_tls(), "require_starttls": True,
                   "authenticator": authenticate, "auth_required": True}
    elif security == "tls":
        options = {"ssl_context": server_tls(), "authenticator": authenticate,
                   "auth_require_tls": False}  # it is TLS, which aiosmtpd cannot see
    controller = Controller(server, hostname="127.0.0.1", port=server.port, **options)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@contextmanager
def running_hook(secret: bytes = b"the shared secret", planned: tuple[int, ...] = ()
                 ) -> Iterator[Hook]:
    """The documented webhook receiver on 127.0.0.1, answering `planned` statuses first."""
    port = free_port()
    hook = Hook(f"http://127.0.0.1:{port}/hooks/headcount", secret, list(planned))
    documented = documented_receiver()

    class Handler(documented):  # type: ignore[valid-type,misc]  # a class read from the doc
        secret = hook.secret
        seen: set[str] = set()  # noqa: RUF012  # each receiver its own

        def do_POST(self) -> None:
            hook.requests.append({"path": self.path, **dict(self.headers)})
            if hook.planned:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = hook.planned.pop(0)
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            super().do_POST()

        def handle_event(self, event: dict[str, Any]) -> None:
            hook.events.append(event)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the test's output stays readable

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
