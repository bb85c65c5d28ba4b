"""Real servers started by the tests: an SMTP server that keeps what arrives, and an HTTP
receiver running the webhook receiver of docs/notifications.md."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from notifying import (
    Hook,
    MailServer,
    StartHook,
    StartMailServer,
    authenticate,
    documented_receiver,
    free_port,
    server_tls,
)


@pytest.fixture
def start_mail_server() -> Iterator[StartMailServer]:
    """Starts an SMTP server for a security (`none`: no log-in; `starttls`: log-in required,
    as USER / PASSWORD; `tls`: log-in offered)."""
    controllers: list[Controller] = []

    def start(security: str) -> MailServer:
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
        controllers.append(controller)
        return server

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def start_hook() -> Iterator[StartHook]:
    servers: list[ThreadingHTTPServer] = []
    documented = documented_receiver()

    def start(secret: bytes = b"the shared secret", planned: tuple[int, ...] = ()) -> Hook:
        port = free_port()
        hook = Hook(f"http://127.0.0.1:{port}/hooks/headcount", secret, list(planned))

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
        servers.append(server)
        return hook

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
