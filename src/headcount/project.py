"""A project: its folder (configuration and data) and its repository database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from headcount.config.model import Project
from headcount.repository import deployments, migrate
from headcount.repository.database import create_engine, database_url


@dataclass
class ProjectContext:
    directory: Path
    engine: sa.Engine

    @classmethod
    def open(cls, directory: Path, url: str | None = None) -> ProjectContext:
        engine = create_engine(url or database_url(directory))
        migrate.upgrade(engine)
        return cls(directory.resolve(), engine)

    def deployed(self) -> tuple[int, Project]:
        with self.engine.connect() as conn:
            return deployments.require_latest(conn)

    def close(self) -> None:
        self.engine.dispose()
