"""`headcount cases list` and `headcount cases decide` (SPEC §6.1, §12): the cases as a script
reads them, decisions with exit codes scripts can trust, and their documentation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from caseproject import case_id, make_case_project
from headcount.cli import exitcodes
from headcount.cli.app import app
from headcount.project import ProjectContext

runner = CliRunner()
DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HEADCOUNT_DATABASE_URL", db_url)
    return make_case_project(tmp_path / "hr", db_url)


def run(project: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--project", str(project), *args])
    return result.exit_code, result.output


def _ids(project: Path) -> tuple[int, int]:
    ctx = ProjectContext.open(project)
    try:
        return case_id(ctx.engine, "E00005"), case_id(ctx.engine, "E00007")
    finally:
        ctx.close()


def test_cases_are_listed_and_decided_once(project: Path) -> None:
    five, seven = _ids(project)
    code, out = run(project, "cases", "list")
    assert code == exitcodes.OK, out
    assert "2 open correlation cases" in out
    assert re.search(rf"{five}\s+E00005 .*HR_Person_To_Directory_UserRecord\s+X5\s+60", out)

    code, out = run(project, "cases", "decide", str(five), "--link", "X5", "--comment",
                    "same person")
    assert code == exitcodes.OK, out
    assert "E00005 now owns X5" in out
    assert re.search(r"run \d+ evaluated the policy of HR \(succeeded\)", out)
    code, out = run(project, "cases", "decide", str(five), "--new")
    assert code == exitcodes.REFUSED
    assert "decided already" in out

    code, out = run(project, "cases", "decide", str(seven), "--link", "X5")
    assert code == exitcodes.REFUSED
    assert "not a candidate" in out
    code, out = run(project, "cases", "decide", str(seven), "--new", "--comment", "homonym")
    assert code == exitcodes.OK, out
    assert "E00007 gets a new target" in out

    code, out = run(project, "cases", "list", "--state", "resolved")
    assert "2 resolved correlation cases" in out
    assert "link → X5 by cli" in out
    assert "new by cli" in out
    code, out = run(project, "cases", "list")
    assert "0 open correlation cases" in out


def test_decide_needs_one_choice_and_an_existing_case(project: Path) -> None:
    five, _ = _ids(project)
    assert run(project, "cases", "decide", str(five))[0] == 2  # a usage error
    assert run(project, "cases", "decide", str(five), "--link", "X5", "--new")[0] == 2
    assert run(project, "cases", "decide", "999", "--new")[0] == exitcodes.NOT_FOUND
    assert run(project, "cases", "list", "--state", "closed")[0] == 2


def test_the_case_commands_are_documented() -> None:
    documented = DOCS.read_text(encoding="utf-8")
    assert "`headcount cases list" in documented
    assert "`headcount cases decide" in documented
