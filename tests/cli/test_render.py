"""Job results and the runs table in the terminal: nothing a person needs is cut or `None`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headcount.cli import exitcodes
from headcount.cli.app import app

runner = CliRunner()


def run(project: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--project", str(project), *args])
    return result.exit_code, result.output


@pytest.fixture
def blocked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose second run was blocked by a half-truncated people file: a long message."""
    monkeypatch.delenv("HEADCOUNT_DATABASE_URL", raising=False)
    folder = tmp_path / "hr"
    assert run(folder, "init", "--people", "300")[0] == 0
    assert run(folder, "sync", "HR", "-q")[0] == exitcodes.OK
    people = folder / "data" / "hr_people.csv"
    lines = people.read_text(encoding="latin-1").splitlines(keepends=True)
    people.write_text("".join(lines[: len(lines) // 2]), encoding="latin-1")
    code, out = run(folder, "sync", "HR", "-q")
    assert code == exitcodes.BLOCKED, out
    return folder


def _letters(text: str) -> str:
    """The text without the table's borders and the wrapping: what is left to read."""
    return re.sub(r"[\s│┃|]", "", text)


def test_the_runs_table_wraps_the_state_message(blocked: Path) -> None:
    code, out = run(blocked, "job", "2")
    assert code == 0, out
    # The job result prints the message under its title line, before the timings.
    message = " ".join(out.split("\n  took ")[0].splitlines()[1:]).strip()
    assert message.startswith("blocked")
    assert len(message) > 120  # longer than a terminal line: it must wrap, not be cut
    code, out = run(blocked, "jobs")
    assert code == 0, out
    assert _letters(message) in _letters(out)
