"""The notifications: section is deployed like the rest: reload sees it added, changed, removed."""

from __future__ import annotations

from pathlib import Path

from headcount.config.loader import load_project_config
from headcount.repository import deployments
from hrproject import hr_project, people


def test_the_section_is_deployed_when_it_changes(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(2))
        hr.sync()
        section = tmp_path / "config" / "notifications.yaml"

        def reload() -> tuple[int | None, deployments.ConfigDiff]:
            with hr.ctx.engine.begin() as conn:
                return deployments.deploy(conn, load_project_config(tmp_path))

        section.write_text("notifications:\n  smtp: {host: mail, from: hc@example.com}\n",
                           encoding="utf-8")
        added, diff = reload()
        assert added is not None
        assert diff.lines() == ["+ notifications"]
        section.write_text("notifications:\n  smtp: {host: relay, from: hc@example.com}\n",
                           encoding="utf-8")
        changed, diff = reload()
        assert changed is not None
        assert diff.lines() == ["~ notifications"]
        with hr.ctx.engine.begin() as conn:
            running = deployments.require_latest(conn)[1].notifications.smtp
        assert running is not None
        assert running.host == "relay"
        section.unlink()
        removed, diff = reload()
        assert removed is not None
        assert diff.lines() == ["- notifications"]
