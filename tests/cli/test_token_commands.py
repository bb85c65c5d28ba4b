"""`headcount token create|list|revoke`: the secret printed once, on a line of its own for
scripts; connectors checked against the deployed project; revocation effective at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from headcount.cli import exitcodes
from headcount.cli.app import app
from headcount.project import ProjectContext
from headcount.repository import tokens

runner = CliRunner()


def run(project: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--project", str(project), *args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tokens") / "hr"
    with pytest.MonkeyPatch.context() as env:
        env.delenv("HEADCOUNT_DATABASE_URL", raising=False)
        assert run(folder, "init", "--people", "200")[0] == 0
    return folder


def test_create_prints_the_secret_once_and_list_shows_the_token(project: Path) -> None:
    code, out = run(project, "token", "create", "paris-agent", "--scope", "agent",
                    "--connector", "hr")
    assert code == 0, out
    secret = out.strip().splitlines()[-1]
    assert secret.startswith(tokens.PREFIX)
    ctx = ProjectContext.open(project)
    try:
        with ctx.engine.begin() as conn:
            token = tokens.authenticate(conn, secret, "agent", "HR")
    finally:
        ctx.close()
    assert token is not None
    assert token.connectors == {"hr"}
    code, out = run(project, "token", "list")
    assert code == 0
    assert "paris-agent" in out
    assert secret not in out

    code, out = run(project, "token", "revoke", str(token.id))
    assert code == 0, out
    assert "revoked" in out
    code, out = run(project, "token", "list", "--live")
    assert "paris-agent" not in out


def test_an_unknown_connector_or_scope_is_refused(project: Path) -> None:
    code, out = run(project, "token", "create", "x", "--scope", "agent", "--connector", "Nope")
    assert code == exitcodes.NOT_FOUND, out
    assert "no connector `Nope`" in out
    code, out = run(project, "token", "create", "x", "--scope", "all", "--connector", "HR")
    assert code != 0
    assert "unknown scope all" in out
