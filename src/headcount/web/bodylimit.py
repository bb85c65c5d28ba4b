"""How much a request may send before anyone knows who sent it (SPEC §13). FastAPI reads a form
body — an uploaded file included, spooled to disk — before the route's dependencies check the
session, so without a door anyone could make the server receive gigabytes. This middleware:

- lets a POST to the upload routes in only from a user holding the `upload` permission (checked
  from the session cookie or bearer token, before the body is read), and only up to twice the
  project's upload limit: a file between the limit and that is received, refused and listed by
  the route itself (an HR operator sees their refused file);
- caps every other request body at `OTHER_BODIES` (forms and JSON are small);
- counts what a body without Content-Length streams, and stops it past its cap."""

from __future__ import annotations

import json
from collections.abc import Callable

import sqlalchemy as sa
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from headcount.repository import deployments, users
from headcount.repository.users import User
from headcount.web.api.errors import error_body
from headcount.web.auth import SESSION_COOKIE

UPLOAD_PATHS = frozenset({"/upload", "/api/uploads"})
OTHER_BODIES = 8 * 1024 * 1024
# Room for a multipart form's other fields and boundaries around the file.
FORM_ROOM = 1024 * 1024


class BodyLimit:
    """ASGI middleware; `engine()` gives the database engine (the app's, once it is set)."""

    def __init__(self, app: ASGIApp, engine: Callable[[], sa.Engine]) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path = str(scope.get("path", "")).rstrip("/") or "/"
        api = path.startswith("/api")
        cap = OTHER_BODIES
        if path in UPLOAD_PATHS:
            user = self._user(headers)
            if user is None:
                if api:
                    await _answer(send, 401, "log in or give a bearer token")
                else:
                    await _redirect(send, f"/login?next={path}")
                return
            if not user.can("upload"):
                await _answer(send, 403, f"the {user.role} role may not do this (upload)")
                return
            cap = 2 * self._upload_limit() + FORM_ROOM
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > cap:
            await _answer(send, 413, _too_large(cap))
            return
        seen = 0
        started = cut = answered = False

        async def counted() -> Message:
            # Past the cap the client is answered at once and the app sees it disconnect
            # (an exception here would be taken for a malformed body).
            nonlocal seen, cut, started, answered
            if cut:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    cut = True
                    if not started:
                        started = answered = True
                        await _answer(send, 413, _too_large(cap))
                    return {"type": "http.disconnect"}
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if answered:
                return  # the client has its answer: the 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counted, watched)

    def _user(self, headers: Headers) -> User | None:
        authorization = headers.get("authorization", "")
        with self.engine().connect() as conn:
            if authorization.lower().startswith("bearer "):
                return users.token_user(conn, authorization[7:].strip())
            token = cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE)
            found = users.session_user(conn, token) if token else None
        return found[0] if found else None

    def _upload_limit(self) -> int:
        with self.engine().connect() as conn:
            return deployments.require_latest(conn)[1].upload.max_bytes


def _too_large(cap: int) -> str:
    return f"the request is larger than the {cap / (1024 * 1024):,.0f} MB this address accepts"


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps(error_body(detail)).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


async def _redirect(send: Send, location: str) -> None:
    await send({"type": "http.response.start", "status": 303, "headers": [
        (b"location", location.encode()), (b"content-length", b"0"),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": b""})
