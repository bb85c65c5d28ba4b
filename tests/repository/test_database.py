"""PostgreSQL sessions: no JIT, a URL's own `options` kept, statistics refreshed after a bulk
load."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from headcount.repository.database import analyze_if_stale, create_engine
from headcount.repository.migrate import upgrade
from headcount.repository.schema import resources
from servers import unavailable


def _settings(url: str) -> tuple[str, str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            jit = conn.exec_driver_sql("SHOW jit").scalar_one()
            timeout = conn.exec_driver_sql("SHOW statement_timeout").scalar_one()
    finally:
        engine.dispose()
    return str(jit), str(timeout)


def test_no_jit_and_the_urls_own_options_are_kept(postgres_server: Any) -> None:
    if postgres_server.url is None or postgres_server.connection is None:
        unavailable("PostgreSQL", postgres_server.error or "unknown error")
    url = str(postgres_server.url)
    assert _settings(url)[0] == "off"
    sep = "&" if "?" in url else "?"
    assert _settings(f"{url}{sep}options=-c%20statement_timeout%3D4321") == ("off", "4321ms")


def test_a_table_much_written_is_analysed_once_in_a_transaction(postgres_url: str) -> None:
    """After a bulk load in the same transaction PostgreSQL's statistics still say `resources`
    is empty: a run analyses it before planning its reads — once, however many plans follow."""
    engine = create_engine(postgres_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            assert analyze_if_stale(conn, ["resources"]) == []
            conn.execute(sa.insert(resources), [
                {"entity_type": "T", "key": f"k{i}", "data": "{}", "hash": 0,
                 "created_run": 1, "updated_run": 1} for i in range(12_000)])
            assert analyze_if_stale(conn, ["resources", "links"]) == ["resources"]
            assert analyze_if_stale(conn, ["resources"]) == []
            assert conn.exec_driver_sql(
                "SELECT reltuples FROM pg_class WHERE relname = 'resources'").scalar_one() > 0
    finally:
        engine.dispose()
