"""My Tasks from the terminal: `tasks --as`, `task ID`, `task ID approve --as`, with exit codes
a script can trust."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headcount.cli import exitcodes
from headcount.cli.app import app
from headcount.project import ProjectContext
from headcount.repository.database import begin_write
from headcount.workflows.changes import ResourceChange, WorkflowChanges, current
from headcount.workflows.engine import start

runner = CliRunner()
WORKFLOWS = """
workflows:
  - identifier: Retitle
    entity_type: Directory_UserRecord
    activities:
      - {template: Review, roles: [hr]}
      - {template: Persist}
"""


def run(project: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--project", str(project), *args])
    return result.exit_code, result.output


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("HEADCOUNT_DATABASE_URL", raising=False)
    monkeypatch.setenv("HEADCOUNT_PASSWORD", "correct-horse-battery")
    folder = tmp_path / "hr"
    assert run(folder, "init", "--people", "200")[0] == 0
    (folder / "config" / "workflows.yaml").write_text(WORKFLOWS, encoding="utf-8")
    for args in (("reload",), ("sync", "HR", "-q"), ("user", "add", "hr1", "--role", "hr"),
                 ("user", "add", "viewer1", "--role", "viewer")):
        code, out = run(folder, *args)
        assert code == 0, out
    ctx = ProjectContext.open(folder)
    try:
        project = ctx.deployed()[1]
        with begin_write(ctx.engine) as conn:
            found = current(conn, "Directory_UserRecord", "E00002")
            assert found is not None
            start(conn, project, "Retitle", WorkflowChanges([ResourceChange(
                "Directory_UserRecord", "E00002", "update",
                {"Title": (found[1]["Title"], "Chief of staff")})]), actor="cli",
                message="Retitle E00002")
    finally:
        ctx.close()
    return folder


def test_an_hr_user_sees_and_approves_a_task_a_viewer_cannot(project: Path) -> None:
    code, out = run(project, "tasks", "--as", "hr1")
    assert code == 0, out
    assert "1 open task for hr1" in out
    task = re.search(r"^(\d+)\s+Retitle\s+Review\s+ReviewPending", out, re.M)
    assert task is not None, out
    code, out = run(project, "tasks", "--as", "viewer1")
    assert "0 open tasks" in out
    code, out = run(project, "task", task[1])
    assert code == 0, out
    assert "Title:" in out
    assert "→ Chief of staff" in out
    assert "Review-ReviewPending-Approve" in out
    code, out = run(project, "task", task[1], "approve", "--as", "viewer1")
    assert code == exitcodes.NOT_ALLOWED, out
    code, out = run(project, "task", task[1], "decline", "--as", "hr1")
    assert code == exitcodes.REFUSED, out
    assert "needs a comment" in out
    code, out = run(project, "task", task[1], "approve", "--as", "hr1", "--comment", "ok")
    assert code == 0, out
    assert "Approved; workflow #1 completed — persisted by run" in out
    code, out = run(project, "show", "Directory_UserRecord", "E00002")
    assert "Chief of staff" in out
    code, out = run(project, "task", task[1], "approve", "--as", "nobody")
    assert code == exitcodes.NOT_FOUND, out


def test_a_workflow_started_by_hand_waits_for_its_review(project: Path) -> None:
    code, out = run(project, "workflow", "start", "Retitle", "E00003", "--set", "Title=Auditor",
                    "--as", "hr1", "--message", "Promotion")
    assert code == 0, out
    assert "workflow Retitle #2 started" in out
    code, out = run(project, "tasks", "--as", "hr1", "--subject", "E00003")
    assert "Promotion" in out
    code, out = run(project, "workflow", "start", "Retitle", "E00003", "--set", "Titel=X",
                    "--as", "hr1")
    assert code == exitcodes.CONFIG_INVALID, out
    assert "Titel: not a property of Retitle" in out
    # A key that does not exist is a creation (the form's rules: its key, its required values).
    code, out = run(project, "workflow", "start", "Retitle", "NOPE", "--set", "Title=X",
                    "--as", "hr1")
    assert code == 0, out
    assert "it creates NOPE" in out
    code, out = run(project, "workflow", "start", "Retitle", "--set", "Title=X", "--as", "hr1")
    assert code == exitcodes.CONFIG_INVALID, out
    assert "RecordIdentifier: required" in out
    code, out = run(project, "workflow", "start", "Nope", "E00003", "--as", "hr1")
    assert code == exitcodes.NOT_FOUND, out


def test_tasks_needs_whose(project: Path) -> None:
    code, out = run(project, "tasks")
    assert code == 2
    assert "--as" in out


def test_tasks_escalate_at_a_given_instant(project: Path) -> None:
    code, out = run(project, "tasks", "escalate", "--now", "2026-11-26T10:00:00+00:00")
    assert code == 0, out
    assert "0 reminded, 0 escalation(s), 0 sent to the fallback, 0 overdue" in out
    code, out = run(project, "tasks", "escalate", "--now", "2026-11-26T10:00:00")
    assert code == 2
    assert "no offset" in out


def test_a_user_away_hands_their_tasks_to_their_delegate_until_cancelled(
        project: Path) -> None:
    assert run(project, "tasks", "--as", "viewer1")[1].startswith("0 open tasks")
    code, out = run(project, "user", "away", "hr1", "--from", "2000-01-01", "--until",
                    "2999-12-31", "--delegate-to", "viewer1", "--reason", "Sabbatical")
    assert code == 0, out
    absence = re.search(r"absence (\d+)", out)
    assert absence is not None
    assert "1 open task for viewer1" in run(project, "tasks", "--as", "viewer1")[1]
    code, out = run(project, "user", "absences")
    assert "hr1  2000-01-01 → 2999-12-31  delegate viewer1  (Sabbatical)" in out
    assert run(project, "user", "back", absence.group(1))[0] == 0
    assert run(project, "user", "absences")[1].strip() == "no absence"
    assert run(project, "tasks", "--as", "viewer1")[1].startswith("0 open tasks")
    code, out = run(project, "user", "away", "hr1", "--from", "2026-01-02", "--until",
                    "2026-01-01", "--delegate-to", "viewer1")
    assert code != 0
    assert "ends" in out


def test_where_notices_go(project: Path) -> None:
    code, out = run(project, "user", "add", "hr2", "--role", "hr", "--email",
                    "hr2@example.com", "--delivery", "daily")
    assert code == 0, out
    code, out = run(project, "user", "notices", "hr2", "--email", "hr.two@example.com")
    assert code == 0, out
    assert "hr2: notices immediate to hr.two@example.com" in out
    code, out = run(project, "user", "notices", "hr2", "--email", "nobody")
    assert code != 0
    assert "not an e-mail address" in out
def test_tasks_filter_by_name_and_age_and_alike_ones_are_decided_at_once(
        project: Path) -> None:
    for key in ("E00004", "E00005", "E00006"):
        code, out = run(project, "workflow", "start", "Retitle", key, "--set",
                        "Title=Auditor" if key != "E00006" else "Title=Clerk", "--as", "hr1")
        assert code == 0, out
    code, out = run(project, "tasks", "--as", "hr1", "--older-than", "1")
    assert "0 open tasks" in out
    code, out = run(project, "tasks", "--as", "hr1", "--older-than", "0")
    assert "4 open tasks" in out
    ids = {key: re.search(rf"^(\d+)\s+Retitle.*{key}", out, re.M) for key in
           ("E00004", "E00005", "E00006")}
    assert all(ids.values()), out
    first, second, other = (m[1] for m in ids.values() if m)
    code, out = run(project, "task", "approve", first, other, "--as", "hr1")
    assert code == exitcodes.REFUSED, out
    assert f"task {other} does not carry the change of task {first}" in out
    code, out = run(project, "task", "approve", first, "--all-matching", "--as", "hr1",
                    "--comment", "both")
    assert code == 0, out
    assert "2 decided, 0 refused" in out
    code, out = run(project, "task", "approve", first, second, "--as", "hr1")
    assert code == exitcodes.REFUSED, out
    assert "decided already" in out
    code, out = run(project, "task", second)
    assert "E00005" in out  # the record by its name, its key beside it
