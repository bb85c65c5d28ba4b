"""`headcount upload template` (SPEC §9, §12): the templates written to a file, as a workbook
or a zip of CSV files, empty or full, with the mass update's Command column on demand."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from headcount.cli.app import app
from webproject import make_project

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HEADCOUNT_DATABASE_URL", db_url)
    return make_project(tmp_path / "hr", db_url, people=200)


def run(project: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--project", str(project), "upload", "template", *args])
    return result.exit_code, result.output


def test_templates_written_to_a_file(project: Path, tmp_path: Path) -> None:
    code, out = run(project, "-o", str(tmp_path / "empty.xlsx"))
    assert code == 0, out
    assert "empty template written" in out
    empty = openpyxl.load_workbook(tmp_path / "empty.xlsx")
    assert empty["Identity record"].max_row == 2
    assert run(project, "--full", "--command", "-o", str(tmp_path / "full.xlsx"))[0] == 0
    full = openpyxl.load_workbook(tmp_path / "full.xlsx")["Identity record"]
    assert full["A1"].value == "Command"
    assert full.max_row == 2 + 200
    assert run(project, "--csv", "--full", "-o", str(tmp_path / "full.zip"))[0] == 0
    with zipfile.ZipFile(tmp_path / "full.zip") as archive:
        assert "Identity record.csv" in archive.namelist()


def test_the_output_file_is_required(project: Path) -> None:
    code, out = run(project)
    assert code == 2
    assert "--output" in out
