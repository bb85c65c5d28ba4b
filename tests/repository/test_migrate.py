"""Several processes started at once on one database (a web server and workers after an upgrade)
migrate it one after the other: the first brings it to the current schema, the others find it
there (docs/deployment.md)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from headcount.repository.migrate import MIGRATIONS

# Alembic's context is global to a process: concurrent migrations need processes, not threads.
CHILD = """
import sys, time
from pathlib import Path
import sqlalchemy as sa
from headcount.repository.migrate import upgrade
engine = sa.create_engine(sys.argv[1])
while not Path(sys.argv[2]).exists():
    time.sleep(0.01)
upgrade(engine)
engine.dispose()
"""


@pytest.mark.postgres
@pytest.mark.slow
def test_processes_starting_together_migrate_one_after_the_other(postgres_url: str,
                                                                  tmp_path: Path) -> None:
    go = tmp_path / "go"
    children = [subprocess.Popen([sys.executable, "-c", CHILD, postgres_url, str(go)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(3)]
    time.sleep(1)  # not a timing under test: lets the children import before they race
    go.touch()
    outcomes = [(child.wait(timeout=300), child.communicate()[1]) for child in children]
    assert [code for code, _ in outcomes] == [0, 0, 0], [err[-2000:] for _, err in outcomes]
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    engine.dispose()
    assert current == ScriptDirectory(str(MIGRATIONS)).get_current_head()
