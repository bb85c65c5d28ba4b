"""The root of the command line: every command's --help, as a person reads it."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from headcount.cli.app import app

runner = CliRunner()


def command_paths(command: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group under this one, as the words that call it."""
    paths = [path]
    for name, sub in getattr(command, "commands", {}).items():
        paths += command_paths(sub, (*path, name))
    return paths


PATHS = command_paths(typer.main.get_command(app))


def test_every_command_is_walked() -> None:
    assert {("sync",), ("show",), ("cases", "decide"), ("user", "add")} <= set(PATHS)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "headcount")
def test_flags_take_no_placeholder(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "--help" in result.output
    assert "<bool>" not in result.output
