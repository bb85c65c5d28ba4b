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
