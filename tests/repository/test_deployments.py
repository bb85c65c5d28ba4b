"""Reload deploys atomically with a diff; removing a property that holds data needs confirming."""

from __future__ import annotations

from pathlib import Path

import pytest

from headcount.config.loader import load_project_config
from headcount.repository import deployments
from hrproject import hr_project, people


def test_reload_diff_and_confirmation(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(3))
        hr.sync()
        config = tmp_path / "config" / "hr.yaml"
        text = config.read_text(encoding="utf-8")
        with hr.ctx.engine.begin() as conn:
            assert deployments.deploy(conn, load_project_config(tmp_path))[0] is None
        config.write_text(text.replace("          - {identifier: FirstName}\n", "")
                          .replace("FirstName: FirstName, ", "")
                          .replace('"{LastName} {FirstName}"', '"{LastName}"'), encoding="utf-8")
        project = load_project_config(tmp_path)
        with pytest.raises(deployments.NeedsConfirmation, match=r"HR_Person\.FirstName holds"), \
                hr.ctx.engine.begin() as conn:
            deployments.deploy(conn, project)
        with hr.ctx.engine.begin() as conn:
            new_id, diff = deployments.deploy(conn, project, confirm=True)
        assert new_id is not None
        assert "property HR_Person.FirstName" in diff.removed
        assert "mapping HR_Person ← People" in diff.changed


def test_a_changed_resource_type_is_deployed(tmp_path: Path) -> None:
    from headcount.repository.database import begin_write
    from webproject import make_project

    url = f"sqlite:///{tmp_path}/h.db"
    folder = make_project(tmp_path / "hr", url, synchronized=False)
    policy = folder / "config" / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace(
        "{target: DisplayName, source: Name}\n      - {target: TimeZone",
        "{target: DisplayName, source: City}\n      - {target: TimeZone"), encoding="utf-8")
    from headcount.project import ProjectContext

    ctx = ProjectContext.open(folder, url)
    try:
        with begin_write(ctx.engine) as conn:
            new_id, diff = deployments.deploy(conn, load_project_config(folder))
        assert new_id is not None
        assert diff.changed == ["resource type HR_Site_To_Directory_Site"]
    finally:
        ctx.close()


def test_a_changed_calendar_is_deployed(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        calendars = tmp_path / "config" / "calendars.yaml"
        calendars.write_text("calendars:\n  - {identifier: FR, country: FR}\n", encoding="utf-8")
        with hr.ctx.engine.begin() as conn:
            new_id, diff = deployments.deploy(conn, load_project_config(tmp_path))
        assert new_id is not None
        assert diff.added == ["calendar FR"]
        calendars.write_text("calendars:\n  - {identifier: FR, country: FR, holidays: "
                             "[2026-12-24]}\n", encoding="utf-8")
        with hr.ctx.engine.begin() as conn:
            new_id, diff = deployments.deploy(conn, load_project_config(tmp_path))
            _, deployed = deployments.require_latest(conn)
        assert new_id is not None
        assert diff.lines() == ["~ calendar FR"]
        assert [d.isoformat() for d in deployed.calendars[0].holidays] == ["2026-12-24"]
