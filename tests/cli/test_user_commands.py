"""`headcount user list|role|disable|enable|delete|password` (issue 12 item 8): the same rules as
the Users page — the last administrator kept, every change audited with the system user as its
actor — and exit codes a script can trust."""

from __future__ import annotations

import getpass
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from headcount.cli import exitcodes
from headcount.cli.app import app
from headcount.project import ProjectContext
from headcount.repository import users
from headcount.repository.schema import audit_log

runner = CliRunner()
PASSWORD = "correct-horse-battery"


def run(project: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--project", str(project), *args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("users") / "hr"
    with pytest.MonkeyPatch.context() as env:
        env.delenv("HEADCOUNT_DATABASE_URL", raising=False)
        env.setenv("HEADCOUNT_PASSWORD", PASSWORD)
        assert run(folder, "init", "--people", "200")[0] == 0
        for name, role in (("root", "administrator"), ("bob", "operator"),
                           ("val", "viewer")):
            code, out = run(folder, "user", "add", name, "--role", role)
            assert code == 0, out
    return folder


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEADCOUNT_DATABASE_URL", raising=False)
    monkeypatch.delenv("HEADCOUNT_PASSWORD", raising=False)


def last_audit(project: Path) -> tuple[str, str, str, str | None]:
    ctx = ProjectContext.open(project)
    try:
        with ctx.engine.connect() as conn:
            a = audit_log.c
            row = conn.execute(sa.select(a.actor, a.action, a.target, a.reason)
                               .order_by(a.id.desc()).limit(1)).one()
    finally:
        ctx.close()
    return row.actor, row.action, row.target, row.reason


def logs_in(project: Path, name: str, password: str) -> bool:
    ctx = ProjectContext.open(project)
    try:
        with ctx.engine.connect() as conn:
            return users.authenticate(conn, name, password) is not None
    finally:
        ctx.close()


ACTOR = f"cli:{getpass.getuser()}"


def test_list_shows_role_state_and_last_log_in(project: Path) -> None:
    code, out = run(project, "user", "list")
    assert code == exitcodes.OK, out
    assert re.search(r"root\s+administrator\s+active\s+never", out)
    assert re.search(r"val\s+viewer\s+active", out)


def test_role_disable_enable_are_audited_with_the_system_user(project: Path) -> None:
    code, out = run(project, "user", "role", "bob", "hr")
    assert (code, out.strip()) == (exitcodes.OK, "bob is hr")
    assert last_audit(project) == (ACTOR, "user role changed", "bob", "operator → hr")
    assert run(project, "user", "role", "bob", "boss")[0] == users.AccessError.exit_code

    code, out = run(project, "user", "disable", "val")
    assert (code, out.strip()) == (exitcodes.OK, "val disabled")
    assert last_audit(project)[:3] == (ACTOR, "user disabled", "val")
    assert re.search(r"val\s+viewer\s+disabled", run(project, "user", "list")[1])
    assert not logs_in(project, "val", PASSWORD)
    code, out = run(project, "user", "enable", "val")
    assert (code, out.strip()) == (exitcodes.OK, "val enabled")
    assert last_audit(project) == (ACTOR, "user enabled", "val", None)
    assert logs_in(project, "val", PASSWORD)


def test_the_last_administrator_is_kept(project: Path) -> None:
    for args in (("role", "root", "viewer"), ("disable", "root"), ("delete", "root")):
        code, out = run(project, "user", *args)
        assert code == users.AccessError.exit_code, out
        assert "root is the last enabled administrator" in out
    assert "administrator" in run(project, "user", "list")[1]


def test_password_set_or_generated_once(project: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run(project, "user", "password", "bob", "--generate")
    assert code == exitcodes.OK, out
    generated = out.strip().rsplit(": ", 1)[1]
    assert logs_in(project, "bob", generated)
    assert last_audit(project)[:3] == (ACTOR, "password reset", "bob")
    monkeypatch.setenv("HEADCOUNT_PASSWORD", "bobs-new-password")
    assert run(project, "user", "password", "bob")[0] == exitcodes.OK
    assert logs_in(project, "bob", "bobs-new-password")
    assert run(project, "user", "password", "bob", "--password", "short")[0] == \
        users.AccessError.exit_code
    assert run(project, "user", "password", "nobody", "--generate")[0] == exitcodes.NOT_FOUND


def test_delete(project: Path) -> None:
    assert run(project, "user", "add", "temp", "--role", "viewer", "--password",
               PASSWORD)[0] == exitcodes.OK
    code, out = run(project, "user", "delete", "temp")
    assert (code, out.strip()) == (exitcodes.OK, "user temp deleted")
    assert last_audit(project) == (ACTOR, "user deleted", "temp", "was viewer")
    assert "temp" not in run(project, "user", "list")[1]
    assert run(project, "user", "delete", "temp")[0] == exitcodes.NOT_FOUND
