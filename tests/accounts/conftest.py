"""The `accounts` fixture: the sample project with its AD accounts synchronized, on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from accountsproject import Accounts, make_accounts_project, sync_ad
from headcount.project import ProjectContext


@pytest.fixture
def accounts(tmp_path: Path, db_url: str) -> Iterator[Accounts]:
    folder, built = make_accounts_project(tmp_path / "hr", db_url)
    run = sync_ad(folder, db_url)
    assert run.state == "succeeded", run.message
    ctx = ProjectContext.open(folder, db_url)
    project = ctx.deployed()[1]
    system = project.managed_system("AD")
    assert system is not None
    try:
        yield Accounts(folder, db_url, built, ctx, project, system)
    finally:
        ctx.close()
