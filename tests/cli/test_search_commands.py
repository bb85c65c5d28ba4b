"""`headcount search`: the top bar's search from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headcount.cli.app import app
from hrproject import hr_project, people

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("HEADCOUNT_DATABASE_URL", raising=False)
    with hr_project(tmp_path, f"sqlite:///{tmp_path}/headcount.db") as hr:
        rows = people(12)
        rows[2][1:3] = ["José", "Schneider"]
        hr.write_people(rows)
        hr.sync()
    return tmp_path


def test_names_in_any_order_grouped_by_type(project: Path) -> None:
    result = runner.invoke(app, ["--project", str(project), "search", "SCHNEIDER jose"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["HR_Person (HR_Person): 1", "  Schneider José  E3"]
    shown = runner.invoke(app, ["--project", str(project), "search", "last1", "--limit", "2"])
    assert shown.output.splitlines()[0] == "HR_Person (HR_Person): first 2 of 4"
    nothing = runner.invoke(app, ["--project", str(project), "search", "nobody"])
    assert nothing.output.strip() == "nothing found for “nobody”"


def test_json_for_scripts(project: Path) -> None:
    result = runner.invoke(app, ["--project", str(project), "search", "o1", "--type", "HR_Org",
                                 "--json"])
    assert json.loads(result.output) == {"query": "o1", "groups": [{
        "entity_type": "HR_Org", "label": "HR_Org", "total": 1,
        "items": [{"key": "O1", "display_name": "O1"}]}]}
