"""The command line, as a script would use it: output and exit codes (SPEC §12)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headcount.cli import exitcodes
from headcount.cli.app import app

runner = CliRunner()
DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def run(project: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--project", str(project), *args])
    return result.exit_code, result.output


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("HEADCOUNT_DATABASE_URL", raising=False)
    folder = tmp_path / "hr"
    code, out = run(folder, "init", "--people", "300")
    assert code == 0, out
    return folder


def test_init_check_sync_jobs_job_show(project: Path) -> None:
    code, out = run(project, "check")
    assert (code, "configuration valid" in out) == (0, True)
    code, out = run(project, "sync", "HR", "--quiet")
    assert code == exitcodes.OK, out
    assert "initial" in out
    assert re.search(r"HR_Person\s+300", out)
    code, out = run(project, "jobs")
    assert code == 0
    assert "succeeded" in out
    code, out = run(project, "job", "1", "--changes", "--kind", "insert", "--limit", "5")
    assert code == 0
    assert "+ HR_Organization" in out or "+ HR_Person" in out
    code, out = run(project, "show", "HR_Person", "E00002")
    assert code == 0, out
    assert re.search(r"Manager → \S.* E\d{5}\n", out), out  # the manager's name, then key
    assert "hr_people.csv line" in out
    code, out = run(project, "show", "HR_Person", "NOPE")
    assert code == exitcodes.NOT_FOUND


def test_blocked_run_exit_code_then_resume(project: Path) -> None:
    run(project, "sync", "HR", "-q")
    people = project / "data" / "hr_people.csv"
    lines = people.read_text(encoding="latin-1").splitlines(keepends=True)
    people.write_text("".join(lines[: len(lines) // 2]), encoding="latin-1")
    code, out = run(project, "sync", "HR", "-q")
    assert code == exitcodes.BLOCKED, out
    assert "headcount resume 2" in out
    # Before resume: the staged changes and the provisioning orders they give.
    preview = re.findall(r"provisioning orders \(preview: resuming gives\) (\S+): (.*)", out)
    assert dict(preview)["HR_Person_To_Directory_User"] == "151 deleted"
    code, out = run(project, "rejects", "2")
    assert code == 0
    # A script must confirm the count it was shown; a wrong count applies nothing.
    code, out = run(project, "resume", "2", "--reason", "half the company left")
    assert code == exitcodes.REFUSED, out
    total = int(re.findall(r"--expect-orders (\d+)", out)[0])
    code, out = run(project, "resume", "2", "--reason", "r", "--expect-orders", str(total + 1))
    assert code == exitcodes.REFUSED, out
    code, out = run(project, "resume", "2", "--reason", "half the company left",
                    "--expect-orders", str(total))
    assert code == 0, out
    assert "resumed by cli: half the company left" in out
    assert re.findall(r"provisioning orders (\S+): (.*)", out) == preview
    assert "waited blocked" in out


def test_invalid_configuration_exit_code(project: Path) -> None:
    config = project / "config" / "hr.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("Email: Email", "Emial: Email"),
                      encoding="utf-8")
    code, out = run(project, "check")
    assert code == exitcodes.CONFIG_INVALID
    assert "did you mean `Email`" in out


def test_schema_is_json_schema() -> None:
    result = runner.invoke(app, ["schema"])
    schema = json.loads(result.output)
    assert "connectors" in schema["properties"]


def test_every_command_is_documented() -> None:
    documented = DOCS.read_text(encoding="utf-8")
    names = [command.name or (command.callback.__name__ if command.callback else "")
             for command in app.registered_commands]
    # The commands of each group too (`headcount cases decide`, `headcount workflow start`).
    for group in app.registered_groups:
        assert group.typer_instance is not None
        names += [f"{group.name} {command.name}"
                  for command in group.typer_instance.registered_commands]
    missing = [name for name in names if f"`headcount {name}" not in documented]
    assert not missing, f"not in docs/cli.md: {missing}"


def test_errors_are_messages_with_their_exit_codes(project: Path, tmp_path: Path) -> None:
    assert run(tmp_path / "nowhere", "jobs")[0] == exitcodes.NOT_FOUND
    assert run(project, "jobs", "--connector", "Nope")[0] == exitcodes.NOT_FOUND
    assert run(project, "jobs", "--connector", "hr")[0] == exitcodes.OK
    assert run(project, "rejects", "999")[0] == exitcodes.NOT_FOUND
    assert run(project, "job", "999")[0] == exitcodes.NOT_FOUND
    (project / "config" / "extra.yaml").mkdir()  # a folder named like a file is ignored
    (project / "config" / "latin.yaml").write_bytes("# caf\xe9\n".encode("latin-1"))
    code, out = run(project, "check")
    assert code == exitcodes.CONFIG_INVALID
    assert "latin.yaml, line 1, column 6: not UTF-8" in out
    # However long the project's path, the message stays on one line.
    deep = tmp_path / ("a-folder-with-a-rather-long-name-" * 4) / "hr"
    shutil.copytree(project, deep)
    code, out = run(deep, "check")
    assert code == exitcodes.CONFIG_INVALID
    assert (f"{deep / 'config' / 'latin.yaml'}, line 1, column 6: not UTF-8: configuration "
            "files are UTF-8\n") in out


def test_reload_that_removes_data_needs_confirm(project: Path) -> None:
    run(project, "sync", "HR", "-q")
    config = project / "config" / "hr.yaml"
    text = config.read_text(encoding="utf-8")
    # The sites' City: read from the file, used by no resource type.
    config.write_text(text.replace("          City: City\n", "")
                      .replace("          - {identifier: City, group: Address}\n", ""),
                      encoding="utf-8")
    code, out = run(project, "reload")
    assert code == exitcodes.NEEDS_CONFIRMATION, out
    assert "holds values" in out
    assert run(project, "reload", "--confirm")[0] == exitcodes.OK


def test_invalid_patterns_and_date_formats_are_configuration_errors(project: Path) -> None:
    config = project / "config" / "hr.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('["%d/%m/%Y"]', '["%d/%m/%Q"]'), encoding="utf-8")
    code, out = run(project, "check")
    assert code == exitcodes.CONFIG_INVALID
    assert "unknown directive `%Q`" in out


def test_evaluate_applies_dates_without_a_file(project: Path) -> None:
    code, out = run(project, "sync", "HR", "-q", "--at", "2026-11-26T08:00:00Z")
    assert code == exitcodes.OK, out
    code, out = run(project, "show", "Directory_User", "E00002")
    assert code == exitcodes.OK, out
    # Years later every fixed-term contract has ended: its identity has left.
    code, out = run(project, "evaluate", "HR", "--at", "2040-01-01T00:00:00")
    assert code == exitcodes.OK, out
    assert "evaluation" in out
    assert re.search(r"HR_Person_To_Directory_User: [\d,]+ modified", out), out
    assert run(project, "evaluate", "HR", "--at", "yesterday")[0] == exitcodes.FAILED
    assert run(project, "evaluate", "Nope")[0] == exitcodes.NOT_FOUND
