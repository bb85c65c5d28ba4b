"""An app that closes (its engine disposed: tests, scripts) waits for the threads it started and
closes every connection they opened: none is left to the garbage collector, where psycopg warns
that a connection was deleted while still open."""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa

from headcount.web.app import create_app
from headcount.web.state import AppState
from webproject import make_project


def _open_connections(url: str) -> int:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            if engine.dialect.name != "postgresql":
                return 0
            return int(conn.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")).scalar_one())
    finally:
        engine.dispose()


def test_a_background_read_under_way_is_waited_for_and_its_connection_closed(
        tmp_path: Path, db_url: str) -> None:
    project = make_project(tmp_path / "project", db_url, people=200, synchronized=False)
    app = create_app(project, db_url, drain=False)
    state: AppState = app.state.headcount
    go, done = threading.Event(), threading.Event()

    def read() -> None:
        go.wait()
        with state.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        done.set()

    state.launcher.in_background(read, name="a-read")
    go.set()
    state.engine.dispose()
    assert done.is_set()  # the read ended before the app's engine was gone
    assert _open_connections(db_url) == 0
