"""The sample project for campaign tests: synchronized, with a reviewer who is a manager of the
sample (their identity set), an application owner, a colleague to forward to, and the campaign
owner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

from headcount.campaigns.reviewers import Directory
from headcount.config.model import Project
from headcount.project import ProjectContext
from headcount.repository import users
from headcount.repository.schema import resources
from headcount.repository.users import User
from webproject import PASSWORD, make_project

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@dataclass
class Sample:
    ctx: ProjectContext
    project: Project
    manager: str  # the identity key of the reviewing manager
    reports: set[str]  # the identities whose current record's manager they are
    people: dict[str, User]


@contextmanager
def sample(folder: Path, url: str, people: int = 200, extra: list[Path] | None = None
           ) -> Iterator[Sample]:
    make_project(folder, url, people=people, extra=extra)
    ctx = ProjectContext.open(folder, url)
    try:
        project = ctx.deployed()[1]
        with ctx.engine.connect() as conn:
            directory = Directory(conn, project, "Directory_User", NOW.date())
        by_manager: dict[str, set[str]] = {}
        for identity, manager in directory.manager.items():
            by_manager.setdefault(manager, set()).add(identity)
        # A manager of a few people, not of everyone: the others go to the fallback.
        manager = sorted(by_manager, key=lambda m: (len(by_manager[m]) < 3,
                                                    len(by_manager[m]), m))[0]
        made: dict[str, User] = {}
        with ctx.engine.begin() as conn:
            made["mgr"] = users.add_user(conn, "mgr", PASSWORD, "reviewer", identity=manager,
                                         email="mgr@example.org")
            made["appowner"] = users.add_user(conn, "appowner", PASSWORD, "reviewer",
                                              email="appowner@example.org")
            made["colleague"] = users.add_user(conn, "colleague", PASSWORD, "reviewer")
            made["boss"] = users.add_user(conn, "boss", PASSWORD, "administrator",
                                          email="boss@example.org")
            for name in ("admin", "hr"):
                found = users.find_user(conn, name)
                assert found is not None
                made[name] = found
        yield Sample(ctx, project, manager, by_manager[manager], made)
    finally:
        ctx.close()


def identities(ctx: ProjectContext) -> dict[str, dict[str, object]]:
    with ctx.engine.connect() as conn:
        return {k: json.loads(d) for k, d in conn.execute(
            sa.select(resources.c.key, resources.c.data)
            .where(resources.c.entity_type == "Directory_User"))}


def day(text: str) -> date:
    return date.fromisoformat(text)
