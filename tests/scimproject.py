"""The sample project served with a reader's service token (scope identities:read): what the
SCIM view's tests read."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI

from headcount.repository import tokens
from headcount.repository.database import begin_write
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
