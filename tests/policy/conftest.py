"""The `scenario` fixture: the sample project on dated HR files, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from datedproject import Scenario


@pytest.fixture
def scenario(tmp_path: Path, db_url: str) -> Iterator[Scenario]:
    s = Scenario(tmp_path / "hr", db_url)
    try:
        yield s
    finally:
        s.ctx.close()
