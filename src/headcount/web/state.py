"""What the web app holds while it runs: the project, its database engine, the run launcher."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from headcount.config.model import Project
from headcount.repository import deployments
from headcount.web.launcher import Launcher
from headcount.web.listing import ListCache


@dataclass
class AppState:
    project_dir: Path
    url: str
    engine: sa.Engine
    launcher: Launcher
    lists: ListCache

    def project(self) -> Project:
        """The deployed configuration, read each time: after `headcount reload` the menu
        follows without a restart."""
        with self.engine.connect() as conn:
            return deployments.require_latest(conn)[1]
