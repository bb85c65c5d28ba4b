"""`headcount reconciliation list` and `headcount reconciliation decide` (SPEC §6.4, §12): the
held values as a script reads them, decisions with exit codes scripts can trust, and their
documentation."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headcount.cli import exitcodes
from headcount.cli.app import app
from headcount.project import ProjectContext
from headcount.reviews.edits import ManualEdit, edit_resource
from webproject import make_project

runner = CliRunner()
DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HEADCOUNT_DATABASE_URL", db_url)
    folder = make_project(tmp_path / "hr", db_url, people=200)
    ctx = ProjectContext.open(folder, db_url)
    try:
        edit_resource(ctx.engine, ctx.deployed()[1], ManualEdit(
            "Directory_UserRecord", "E00002", {"Title": "Chief Tester"}, "promotion"),
            "alice", datetime(2026, 12, 1, tzinfo=UTC))
    finally:
        ctx.close()
    return folder


def run(project: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--project", str(project), *args])
    return result.exit_code, result.output


def test_held_values_are_listed_and_decided(project: Path) -> None:
    code, out = run(project, "reconciliation", "list")
    assert code == exitcodes.OK, out
    assert "1 value to reconcile (open)" in out
    found = re.search(r"^(\d+)\s+Directory_UserRecord\s+E00002\s+Title\s+Chief Tester\s+",
                      out, re.MULTILINE)
    assert found is not None, out
    held = found.group(1)
    assert "unreconciled" in out
    assert "alice" in out

    code, out = run(project, "reconciliation", "decide", held, "--decision", "decline",
                    "--comment", "checked")
    assert code == exitcodes.OK, out
    assert "1 value declined" in out
    code, out = run(project, "reconciliation", "list", "--state", "protected")
    assert "Chief Tester" in out
    code, out = run(project, "reconciliation", "decide", held, "--decision", "approve")
    assert code == exitcodes.OK, out
    assert re.search(r"1 value approved, run \d+", out)
    code, out = run(project, "reconciliation", "decide", held, "--decision", "approve")
    assert code == exitcodes.NOT_FOUND
    assert "decided meanwhile" in out
    code, out = run(project, "reconciliation", "list", "--state", "nonsense")
    assert code == 2


def test_the_reconciliation_commands_are_documented() -> None:
    documented = DOCS.read_text(encoding="utf-8")
    assert "`headcount reconciliation list" in documented
    assert "`headcount reconciliation decide" in documented
