"""`headcount upload` (SPEC §9, §12): the templates written to a file, as a workbook or a zip of
CSV files, empty or full, with the mass update's Command column on demand; verify with every
problem on a line; preview, load, list, show and roll back; the data model scan."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from headcount.cli import exitcodes
from headcount.cli.app import app
from uploadfiles import zip_of
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


def upload(project: Path, *args: str, input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["--project", str(project), "upload", *args], input=input)
    # An exception that escaped is a bug, never an exit code to compare.
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def edited(source: Path, target: Path, tab: str, header: str, row: int, value: str) -> Path:
    """A copy of the workbook at `source` with the cell of the column `header` (its text before
    " *") on `row` set to `value`, as an HR operator would type it."""
    book = openpyxl.load_workbook(source)
    sheet = book[tab]
    column = next(c.column_letter for c in sheet[1]
                  if str(c.value).removesuffix(" *") == header)
    sheet[f"{column}{row}"] = value
    book.save(target)
    return target


def test_the_scan_prints_a_table_per_entity_type(project: Path) -> None:
    code, out = upload(project, "scan")
    assert code == 0, out
    assert "Identity record — 200 resources" in out
    assert re.search(r"Phone number\s+0 of 200\s+0.0 %\s+hide from forms", out)
    assert re.search(r"Last name\s+200 of 200\s+100.0 %\s+—", out)


def test_a_refused_file_is_said_with_its_exit_code(project: Path, tmp_path: Path) -> None:
    old = tmp_path / "people.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    code, out = upload(project, "verify", str(old))
    assert code == exitcodes.REFUSED, out
    assert "people.xls" in out


def test_force_needs_a_reason(project: Path, tmp_path: Path) -> None:
    file = tmp_path / "people.csv"
    file.write_text("Identifier\nE1\n")
    code, out = upload(project, "load", str(file), "--force")
    assert code == 2
    assert "--reason" in out


# The commands below verify and load through the store of uploads (SPEC §9): a full template
# of the sample, a bad date typed in it, then a right change.


def test_verify_prints_every_problem_and_writes_the_file_back(project: Path,
                                                               tmp_path: Path) -> None:
    assert run(project, "--full", "-o", str(tmp_path / "full.xlsx"))[0] == 0
    bad = edited(tmp_path / "full.xlsx", tmp_path / "bad.xlsx", "Identity record",
                 "Contract start date", 3, "31/02/2026")
    code, out = upload(project, "verify", str(bad), "--out", str(tmp_path / "fix.xlsx"))
    assert code == exitcodes.FAILED, out
    line = next(line for line in out.splitlines() if "31/02/2026" in line)
    assert line.startswith("tab Identity record, row 3, column Contract start date")
    assert ": `31/02/2026`: " in line
    back = openpyxl.load_workbook(tmp_path / "fix.xlsx")
    assert "Identity record" in back.sheetnames
    # Verify keeps nothing.
    assert "no upload yet" in upload(project, "list")[1]


def test_load_list_show_and_roll_back(project: Path, tmp_path: Path) -> None:
    assert run(project, "--full", "-o", str(tmp_path / "full.xlsx"))[0] == 0
    fixed = edited(tmp_path / "full.xlsx", tmp_path / "fixed.xlsx", "Identity", "Last name", 3,
                   "Newname")
    code, out = upload(project, "preview", str(fixed), "--as", "hr")
    assert code == 0, out
    assert "upload 1: fixed.xlsx verified" in out
    code, out = upload(project, "load", str(fixed), "--as", "hr", input="n\n")
    assert code == exitcodes.NEEDS_CONFIRMATION, out
    code, out = upload(project, "load", str(fixed), "--yes", "--as", "hr")
    assert code == exitcodes.OK, out
    assert "Job result" in out
    code, out = upload(project, "list")
    assert code == 0
    assert re.search(r"^3\s+fixed\.xlsx\s.*loaded", out, re.M)
    code, out = upload(project, "show", "3")
    assert code == 0
    assert "upload 3" in out
    assert "loaded" in out
    code, out = upload(project, "rollback", "3", "--reason", "wrong file", "--as", "hr")
    assert code == exitcodes.OK, out
    assert upload(project, "show", "99")[0] == exitcodes.NOT_FOUND


def test_control_characters_from_a_file_are_printed_as_escapes(project: Path,
                                                               tmp_path: Path) -> None:
    # A tab and a cell holding terminal escapes (clear the screen, set the window's title).
    path = zip_of(tmp_path / "upload.zip", {
        "\x1b[2J.csv": b"Key\nE1\n",
        "Site.csv": b"Identifier,DisplayName\n"
                    b"LY\x1b]0;pwned\x07S,Lyon\nLY\x1b]0;pwned\x07S,Lyon 2\n",
    })
    code, out = upload(project, "verify", str(path))
    assert code == exitcodes.FAILED, out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "tab \\x1b[2J: this tab is not a type of the workforce repository" in out
    assert "LY\\x1b]0;pwned\\x07S" in out


def test_a_refusal_naming_a_part_prints_its_controls_as_escapes(project: Path,
                                                                tmp_path: Path) -> None:
    path = zip_of(tmp_path / "upload.zip", {"\x1b[2Jrun.exe": b"MZ"})
    code, out = upload(project, "verify", str(path))
    assert code == exitcodes.REFUSED, out
    assert "`\\x1b[2Jrun.exe` is not a CSV file" in out


def test_a_file_too_large_is_refused_from_its_size_before_it_is_read(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "people.csv"
    with path.open("wb") as handle:
        handle.truncate(60 * 1024 * 1024)  # 60 MB of nothing: no disk used

    def never(self: Path) -> bytes:
        raise AssertionError(f"{self} was read")

    monkeypatch.setattr(Path, "read_bytes", never)
    code, out = upload(project, "load", str(path), "--yes")
    assert code == exitcodes.REFUSED, out
    assert "people.csv: the file is 60 MB, larger than the 50 MB an upload may be" in out
