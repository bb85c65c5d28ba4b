"""The door before any body is read (SPEC §13): an upload from someone without the `upload`
right is refused before a byte of it is received, an authorised one is received only up to its
cap, and no other address takes more than a few megabytes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from headcount.web.bodylimit import FORM_ROOM, OTHER_BODIES
from webproject import bearer, sample_app

CHUNK = 1024 * 1024


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    folder = tmp_path_factory.mktemp("bodylimit")
    with sample_app(folder, people=200, synchronized=False) as application:
        yield application


def _post(app: FastAPI, path: str, headers: dict[str, str], chunks: int,
          declared: int | None = None,
          content_type: str = "multipart/form-data; boundary=xyz") -> tuple[int, int, bytes]:
    """POST `chunks` MB to the app as a server would stream them; the status, how many chunks
    the app asked for, and the answer's body."""
    asked = 0
    answer: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked += 1
        more = asked < chunks
        return {"type": "http.request", "body": b"x" * CHUNK if asked <= chunks else b"",
                "more_body": more}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"content-type", content_type.encode()))
    if declared is not None:
        raw.append((b"content-length", str(declared).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": raw,
             "client": ("127.0.0.1", 1), "server": ("testserver", 80)}
    # In a thread of its own: an earlier test (a browser's) may leave an event loop running in
    # this one, where asyncio.run refuses to start.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return int(answer["status"]), asked, bytes(answer["body"])


@pytest.mark.parametrize("path", ["/api/uploads", "/upload"])
def test_an_anonymous_upload_is_refused_before_its_body_is_read(app: FastAPI, path: str) -> None:
    status, asked, _ = _post(app, path, {"accept": "text/html"}, chunks=200,
                             declared=200 * CHUNK)
    assert status == (401 if path.startswith("/api") else 303)
    assert asked == 0


@pytest.mark.parametrize("who", ["view", "op"])
def test_a_user_without_the_upload_right_is_refused_before_the_body(app: FastAPI, who: str
                                                                    ) -> None:
    headers = bearer(app, who, ["read", "run"] if who == "op" else ["read"])
    status, asked, body = _post(app, "/api/uploads", headers, chunks=200, declared=200 * CHUNK)
    assert (status, asked) == (403, 0)
    assert b"(upload)" in body


def test_an_upload_declared_far_over_the_limit_is_refused_unread(app: FastAPI) -> None:
    headers = bearer(app, "hr", ["upload"])
    limit = app.state.headcount.project().upload.max_bytes
    status, asked, body = _post(app, "/api/uploads", headers, chunks=1,
                                declared=2 * limit + FORM_ROOM + 1)
    assert (status, asked) == (413, 0)
    assert b"larger than" in body


def test_a_body_streamed_past_its_cap_is_cut_off(app: FastAPI) -> None:
    # No Content-Length: the door counts what comes, and stops at the cap.
    status, asked, _ = _post(app, "/api/connectors/HR/runs", {}, chunks=3 * OTHER_BODIES // CHUNK,
                             content_type="application/json")
    assert status == 413
    assert asked <= OTHER_BODIES // CHUNK + 1


def test_small_forms_and_reads_pass(app: FastAPI, tmp_path: Path) -> None:
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        page = client.get("/login", headers={"Accept": "text/html"})
        assert page.status_code == 200
