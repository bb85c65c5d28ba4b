"""The PostgreSQL engine's session settings: no JIT, and a URL's own `options` kept."""

from __future__ import annotations

from typing import Any

from headcount.repository.database import create_engine
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
