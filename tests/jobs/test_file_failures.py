"""Every way a file can be broken is a message naming the file and the line, with an exit code a
script can trust, and the repository as it was — never a traceback (SPEC §4.1, §4.5)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from headcount.cli import exitcodes
from headcount.cli.app import app

runner = CliRunner()


def run(project: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--project", str(project), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample project, synchronized once; each test works on a copy."""
    folder = tmp_path_factory.mktemp("failures") / "hr"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("HEADCOUNT_DATABASE_URL", raising=False)
        code, out = run(folder, "init", "--people", "200")
        assert code == 0, out
        code, out = run(folder, "sync", "HR", "-q")
        assert code == exitcodes.OK, out
    return folder


def state(project: Path) -> list[tuple[object, ...]]:
    engine = sa.create_engine(f"sqlite:///{project / 'headcount.db'}")
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(
                "SELECT entity_type, key, hash FROM resources ORDER BY entity_type, key"))]
    finally:
        engine.dispose()


PEOPLE = "hr_people.csv"
ORGS = "hr_organizations.csv"
Damage = Callable[[bytes], bytes]


def lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def quote_at(index: int) -> Damage:
    """An opening quote before the LastName of one row (negative: from the end)."""
    def damage(data: bytes) -> bytes:
        rows = lines(data)
        row = index if index > 0 else len(rows) - 1 + index
        fields = rows[row].split(b";")
        fields[2] = b'"' + fields[2]
        rows[row] = b";".join(fields)
        return b"\n".join(rows)
    return damage


def oversized(data: bytes) -> bytes:
    rows = lines(data)
    rows.insert(3, b'E99999;"' + b"x" * (17 * 1024 * 1024) + b'";Long;;;;;;;;;;')
    return b"\n".join(rows)


# (file, damage, exit code, what the message must say: the file and the line)
CASES: dict[str, tuple[str, Damage, int, str]] = {
    "empty": (PEOPLE, lambda d: b"", exitcodes.FAILED, "hr_people.csv, line 1: the file is empty"),
    "bom only": (PEOPLE, lambda d: b"\xef\xbb\xbf", exitcodes.FAILED,
                 "hr_people.csv, line 1: the file is empty"),
    "header only": (PEOPLE, lambda d: lines(d)[0] + b"\n", exitcodes.BLOCKED,
                    "hr_people.csv: the file has a header but no rows"),
    "header only, no newline": (PEOPLE, lambda d: lines(d)[0], exitcodes.BLOCKED,
                                "hr_people.csv: the file has a header but no rows"),
    "oversized field": (PEOPLE, oversized, exitcodes.FAILED,
                        "hr_people.csv, line 4: the record that starts on line 4 cannot be read "
                        "as CSV: a field is longer than 16 MiB"),
    "binary": (PEOPLE, lambda d: bytes(range(256)) * 64, exitcodes.FAILED,
               "hr_people.csv, line 1: mapped column `EmployeeId`"),
    "wrong encoding": (ORGS, lambda d: d.replace(b"Code", "Codé".encode("latin-1"), 1),
                       exitcodes.FAILED, "hr_organizations.csv, line 1, column"),
    "unclosed quote at start": (PEOPLE, quote_at(1), exitcodes.FAILED,
                                "hr_people.csv, line 2: a quote opened on line 2 is not closed"),
    "unclosed quote in the middle": (PEOPLE, quote_at(60), exitcodes.FAILED,
                                     "hr_people.csv, line 61: a quote opened on line 61"),
    "unclosed quote at the end": (PEOPLE, quote_at(-2), exitcodes.FAILED,
                                  "hr_people.csv, line 200: a quote opened on line 200 is not "
                                  "closed: it swallows the line after it"),
    # It swallows no other row: the row is set aside with its key, its person kept as stored.
    "unclosed quote on the last line": (PEOPLE, quote_at(-1), exitcodes.OK,
                                        "set aside (ragged) hr_people.csv line 201"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_broken_file_is_a_message_and_changes_nothing(
        case: str, synced: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEADCOUNT_DATABASE_URL", raising=False)
    project = tmp_path / "hr"
    shutil.copytree(synced, project)
    name, damage, code, said = CASES[case]
    path = project / "data" / name
    path.write_bytes(damage(path.read_bytes()))
    before = state(project)
    exit_code, out = run(project, "sync", "HR")
    assert exit_code == code, out
    assert said in " ".join(out.split()), out
    assert "Traceback" not in out
    assert state(project) == before


def test_a_file_without_a_final_newline_loses_no_row(
        synced: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEADCOUNT_DATABASE_URL", raising=False)
    project = tmp_path / "hr"
    shutil.copytree(synced, project)
    path = project / "data" / PEOPLE
    path.write_bytes(path.read_bytes().rstrip(b"\r\n"))
    before = state(project)
    code, out = run(project, "sync", "HR")
    assert code == exitcodes.OK, out
    assert state(project) == before
