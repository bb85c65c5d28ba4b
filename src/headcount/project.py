"""A project: its folder (configuration and data) and its repository database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from headcount.config.loader import load_project_config
from headcount.config.model import Project
from headcount.errors import ConfigError, NotFound
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

    def undeployed_changes(self) -> list[str]:
        """How the configuration on disk differs from the deployed one, as `reload` would print
        it (nothing when they agree or nothing is deployed yet): a run uses the deployed one."""
        with self.engine.connect() as conn:
            current = deployments.latest(conn)
        if current is None:
            return []
        try:
            on_disk = load_project_config(self.directory)
        except ConfigError as exc:
            return [f"the configuration on disk does not validate ({len(exc.problems)} "
                    "problem(s): headcount check)"]
        return deployments.config_diff(current[1], on_disk).lines()

    def close(self) -> None:
        self.engine.dispose()
