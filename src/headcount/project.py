"""A project: its folder (configuration and data) and its repository database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from headcount.config.model import Project
from headcount.errors import NotFound
from headcount.repository import deployments, migrate
from headcount.repository.database import create_engine, database_url


@dataclass
class ProjectContext:
    directory: Path
    engine: sa.Engine

    @classmethod
    def open(cls, directory: Path, url: str | None = None) -> ProjectContext:
        url = url or database_url(directory)
        if url.startswith("sqlite") and not directory.is_dir():
            raise NotFound(f"no project folder {directory} (create one with `headcount init`)")
        engine = create_engine(url)
        migrate.upgrade(engine)
        return cls(directory.resolve(), engine)

    def deployed(self) -> tuple[int, Project]:
        with self.engine.connect() as conn:
            return deployments.require_latest(conn)

    def close(self) -> None:
        self.engine.dispose()
