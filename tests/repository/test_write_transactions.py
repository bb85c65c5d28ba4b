"""Every write transaction takes SQLite's write lock at once (`begin_write`: BEGIN IMMEDIATE).
A transaction begun with `engine.begin()` reads first and asks for the lock when it writes,
and SQLite then refuses it at once — "database is locked", without waiting — whenever another
connection wrote in between (an agent's delivery taken while its heartbeat was stamped)."""

from __future__ import annotations

import re
from pathlib import Path

import headcount

SOURCE = Path(headcount.__file__).parent
# Migrations run alone, under their own lock, before anything else opens the database.
ALLOWED = {SOURCE / "repository" / "migrate.py"}


def test_no_write_transaction_begins_without_the_write_lock() -> None:
    offenders = [
        f"{path.relative_to(SOURCE)}:{number}: {line.strip()}"
        for path in sorted(SOURCE.rglob("*.py")) if path not in ALLOWED
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"engine\.begin\(\)", line)
    ]
    assert offenders == [], "use repository.database.begin_write:\n" + "\n".join(offenders)
