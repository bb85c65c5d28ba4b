"""Shared fixtures: a fresh, empty database per test, on SQLite and on PostgreSQL.

``db_url`` is parametrised over both back-ends, so a test that takes it runs twice
(``test_x[sqlite]`` and ``test_x[postgresql]``); the PostgreSQL variant carries the ``postgres``
marker, so ``pytest -m "not postgres"`` runs SQLite only. ``sqlite_url`` is for tests that need
not run on both.

Where the PostgreSQL server comes from, first match wins:

1. the environment variable ``HEADCOUNT_TEST_PG_URL`` (any SQLAlchemy URL of a role allowed to
   create and drop databases, e.g. ``postgresql+psycopg://me@localhost:5432/postgres``);
2. the file ``.pytest-pg/url`` at the repository root, written by ``tests/postgres/start.sh``
   (``make test`` runs that script).

That URL only serves as the admin connection: each test gets its own database ``hc_<12 hex>``,
created empty before the test and dropped (``WITH (FORCE)``) after it. When no server is
reachable the PostgreSQL variants are skipped, except under ``CI=true`` where they fail: CI
must never pass by silently testing less.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import settings
from psycopg import sql
from psycopg.rows import TupleRow
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from servers import in_ci, unavailable

# No test is timed against the clock (speed belongs in bench/): hypothesis's deadline of 200 ms
# an example only failed tests on a loaded machine.
settings.register_profile("headcount", deadline=None)
settings.load_profile("headcount")

# The session's slapd (tests/slapd.py), started by the first test that asks for it.
pytest_plugins = ["slapd"]

REPO_ROOT = Path(__file__).resolve().parent.parent
PG_URL_ENV = "HEADCOUNT_TEST_PG_URL"
PG_URL_FILE = REPO_ROOT / ".pytest-pg" / "url"
START_HINT = "start one with `bash tests/postgres/start.sh` or set HEADCOUNT_TEST_PG_URL"


@dataclass(frozen=True)
class PostgresServer:
    """The admin connection to the test server, or why there is none."""

    url: str | None
    source: str
    connection: psycopg.Connection[TupleRow] | None = None
    error: str | None = None


def configured_pg_url() -> tuple[str | None, str]:
    """The admin URL and where it came from (env variable first, then .pytest-pg/url)."""
    from_env = os.environ.get(PG_URL_ENV, "").strip()
    if from_env:
        return from_env, f"${PG_URL_ENV}"
    if PG_URL_FILE.is_file():
        from_file = PG_URL_FILE.read_text(encoding="utf-8").strip()
        if from_file:
            return from_file, str(PG_URL_FILE.relative_to(REPO_ROOT))
    return None, "nowhere"


def libpq_conninfo(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://…`` (SQLAlchemy) to ``postgresql://…`` (libpq)."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One admin connection (autocommit) for the whole session, opened on first use."""
    url, source = configured_pg_url()
    if url is None:
        yield PostgresServer(
            None, source, error=f"no URL in ${PG_URL_ENV} or {PG_URL_FILE}; " + START_HINT
        )
        return
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        yield PostgresServer(url, source, error=f"invalid URL {url!r} (from {source})")
        return
    try:
        connection = psycopg.connect(libpq_conninfo(url), autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        yield PostgresServer(
            url, source, error=f"cannot connect to {shown} (from {source}): {message}; {START_HINT}"
        )
        return
    try:
        yield PostgresServer(url, source, connection=connection)
    finally:
        connection.close()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """URL of a brand-new empty PostgreSQL database, dropped after the test."""
    if postgres_server.connection is None or postgres_server.url is None:
        unavailable("PostgreSQL", postgres_server.error or "unknown error")
        raise AssertionError("unreachable")  # pytest.skip/fail raise; this is for type checkers
    admin = postgres_server.connection
    name = f"hc_{uuid.uuid4().hex[:12]}"
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if admin.info.server_version >= 150000:
        # Copying the template's files beats WAL-logging them for a near-empty template.
        create = sql.SQL("{} STRATEGY FILE_COPY").format(create)
    admin.execute(create)
    try:
        yield make_url(postgres_server.url).set(database=name).render_as_string(hide_password=False)
    finally:
        # FORCE ends whatever connections the test left open (e.g. an undisposed engine).
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a new SQLite database file in the test's temporary directory."""
    return f"sqlite:///{tmp_path}/headcount.db"


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def db_url(request: pytest.FixtureRequest) -> str:
    """URL of a fresh empty database, once per back-end."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


def pytest_report_header(config: pytest.Config) -> str:
    url, source = configured_pg_url()
    if url is None:
        where = "not configured (PostgreSQL tests will " + ("fail)" if in_ci() else "skip)")
    else:
        try:
            shown = make_url(url).render_as_string(hide_password=True)
        except ArgumentError:
            shown = f"invalid URL {url!r}"
        where = f"{shown} (from {source})"
    return f"headcount test PostgreSQL: {where}"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the browser tests of a session."""
    # Here rather than in tests/e2e/conftest.py: two modules named `conftest` cannot both be
    # type-checked. `browsing` is importable once a test of tests/e2e is collected (pytest puts
    # that folder on the path), and only those tests ask for this fixture.
    from browsing import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any, site: str) -> Iterator[Any]:
    """A fresh page of the module's `site` (the URL a module's own fixture serves)."""
    from browsing import new_page

    with new_page(browser, site) as opened:
        yield opened


# A module's, not the session's: a machine runs one DC at a time (port 636), and under
# pytest-xdist the other worker waits for the module that holds it, not for a whole session.
@pytest.fixture(scope="module")
def samba_dc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The module's Samba AD DC loaded with the sample directory (a `samba.SambaServer`);
    missing Samba skips, and fails under CI=true."""
    from sambadc import sample_server

    with sample_server(tmp_path_factory.mktemp("samba-dc")) as server:
        yield server
