"""The sample project served with a reader's service token (scope identities:read): what the
SCIM view's tests read; `headcount serve` in its own process, for scim2-tester."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import sqlalchemy as sa
from fastapi import FastAPI

from headcount.repository import tokens
from headcount.repository.database import DATABASE_ENV, begin_write
from servers import free_port
from webproject import make_app, make_project

PEOPLE = 200
SCIM_JSON = "application/scim+json"


def scim_app(folder: Path, url: str) -> FastAPI:
    return make_app(make_project(folder / "hr", url, people=PEOPLE), url)


def reader(app: FastAPI, scopes: tuple[str, ...] = (tokens.IDENTITIES_READ,),
           connectors: tuple[str, ...] = ()) -> tuple[int, dict[str, str]]:
    """A new service token's id and the headers that present it."""
    return reader_of(app.state.headcount.engine, scopes, connectors)


def reader_of(engine: sa.Engine, scopes: tuple[str, ...] = (tokens.IDENTITIES_READ,),
              connectors: tuple[str, ...] = ()) -> tuple[int, dict[str, str]]:
    with begin_write(engine) as conn:
        token, secret = tokens.create(conn, "scim-reader", list(scopes), list(connectors),
                                      "admin")
    return token.id, {"Authorization": f"Bearer {secret}"}


@contextmanager
def served(project: Path, url: str) -> Iterator[str]:
    """`headcount serve` over `project` in another process; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "from headcount.cli.app import main; main()", "-p",
         str(project), "serve", "--port", str(port)], env={**os.environ, DATABASE_ENV: url},
        stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # waits for the server, not for a time
            assert process.poll() is None, "headcount serve stopped"
            try:
                if httpx2.get(f"{base}/health").status_code == 200:
                    break
            except httpx2.TransportError:
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
