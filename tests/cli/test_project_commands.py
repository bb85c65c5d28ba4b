"""`check` sees what a run would refuse, and `reload` deploys nothing that `check` refuses
(issue 8, item 6)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headcount.cli import exitcodes
from headcount.cli.app import app

runner = CliRunner()


def run(project: Path, *args: str) -> tuple[int, str]:
    """The exit code and the output, its lines joined (the console wraps long messages)."""
    result = runner.invoke(app, ["--project", str(project), *args])
    return result.exit_code, re.sub(r"\s*\n\s*", " ", result.output)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample") / "hr"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("HEADCOUNT_DATABASE_URL", raising=False)
        code, out = runner.invoke(app, ["--project", str(folder), "init", "--people", "200"]
                                  ).exit_code, ""
    assert code == 0, out
    return folder


@pytest.fixture
def project(sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sample project (configuration, files, deployed database)."""
    import shutil

    monkeypatch.delenv("HEADCOUNT_DATABASE_URL", raising=False)
    folder = tmp_path / "hr"
    shutil.copytree(sample, folder)
    return folder


def edit(project: Path, name: str, old: str, new: str) -> None:
    path = project / "config" / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(project: Path, name: str, text: str) -> int:
    lines = (project / "config" / name).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def test_a_wrong_column_gets_its_yaml_line_and_a_suggestion_and_reload_refuses_it(
        project: Path) -> None:
    edit(project, "hr.yaml", "FirstName: FirstName", "FirstName: FirstNam")
    code, out = run(project, "check")
    assert code == exitcodes.CONFIG_INVALID, out
    line = line_of(project, "hr.yaml", "FirstName: FirstNam")
    assert f"hr.yaml, line {line}" in out
    assert "connectors[0].mappings[0].columns.FirstName" in out
    assert ("column `FirstNam` (HR_Person.FirstName) is not in the header of hr_people.csv — "
            "did you mean `FirstName`?") in out
    code, out = run(project, "reload")
    assert code == exitcodes.CONFIG_INVALID, out
    assert "did you mean `FirstName`?" in out
    # Nothing was deployed: the running configuration still reads `FirstName`.
    assert "deployed" not in out
    code, out = run(project, "sync", "HR", "-q")
    assert code == exitcodes.OK, out


def test_every_problem_at_once_sorted_by_file_and_line(project: Path) -> None:
    edit(project, "hr.yaml", "Email: Email", "Email: Emial")               # a column
    edit(project, "directory.yaml", "list_columns: [Identifier, State,",
         "list_columns: [Identifier, Stat,")                                # a cross-reference
    edit(project, "policy.yaml", "target: Directory_Site\n",
         "target: Directory_Site\n    allow_add: maybe\n")                # the schema
    edit(project, "policy.yaml", "{target: Identifier, source: EmployeeId,",
         "{target: Identifier, source: EmployeId,")                       # a binding
    edit(project, "policy.yaml", "prefix: \"coalesce(UserType.LoginPrefix, '')\"",
         "prefix: \"lookup('prefixes', X)\"")
    (project / "config" / "zz.yaml").write_text("connectors: [\n", encoding="utf-8")
    code, out = run(project, "check")
    assert code == exitcodes.CONFIG_INVALID, out
    found = re.findall(r"config/(\w+)\.yaml, line (\d+)", out)
    assert [f for f, _ in found] == ["directory", "hr", "policy", "policy", "policy", "zz"], out
    policy_lines = [int(n) for f, n in found if f == "policy"]
    assert policy_lines == sorted(policy_lines)
    assert "`Stat` is not a property — did you mean `State`?" in out
    assert "column `Emial` (HR_Person.Email) is not in the header" in out
    assert "resource_types[0].allow_add: Input should be a valid boolean" in out
    assert "`EmployeId` does not resolve on `HR_Person` — did you mean `EmployeeId`?" in out
    assert "unknown table `prefixes`" in out
    assert "not valid YAML" in out
    assert "(6 problems)" in out


def test_a_connector_the_schema_refuses_hides_only_what_depends_on_it(project: Path) -> None:
    edit(project, "hr.yaml", "encoding: latin-1", "encodng: latin-1")
    edit(project, "directory.yaml", "list_columns: [Identifier, State,",
         "list_columns: [Identifier, Stat,")
    code, out = run(project, "check")
    assert code == exitcodes.CONFIG_INVALID, out
    assert "connectors[0].connections[0].encodng: unknown setting `encodng` — did you mean " \
           "`encoding`?" in out
    assert "did you mean `State`?" in out
    # No "unknown entity type HR_Person" for the resource types: the HR connector is only
    # missing because of its own mistake.
    assert "(2 problems)" in out


def test_a_resource_type_that_computes_no_key_property_is_refused(project: Path) -> None:
    edit(project, "policy.yaml", "      - {target: RecordIdentifier, source: EmployeeId}\n", "")
    code, out = run(project, "check")
    assert code == exitcodes.CONFIG_INVALID, out
    assert ("resource_types[4].scalars: computes no key property of `Directory_UserRecord` "
            "(RecordIdentifier)") in out
    assert run(project, "reload")[0] == exitcodes.CONFIG_INVALID


def test_a_missing_file_is_refused_unless_allowed(project: Path) -> None:
    (project / "data" / "hr_sites.csv").unlink()
    code, out = run(project, "check")
    assert code == exitcodes.CONFIG_INVALID, out
    assert "connectors[0].connections[2].path" in out
    assert "file not found" in out
    assert "--allow-missing-files" in out
    code, out = run(project, "check", "--allow-missing-files")
    assert code == exitcodes.OK, out
    assert "HR_Sites: " in out
    assert "columns not checked" in out
    edit(project, "hr.yaml", "display_name: Human resources", "display_name: HR")
    assert run(project, "reload")[0] == exitcodes.CONFIG_INVALID
    code, out = run(project, "reload", "--allow-missing-files")
    assert code == exitcodes.OK, out
    assert "~ connector HR" in out


def test_columns_added_by_transformations_and_association_files_are_checked(
        project: Path) -> None:
    edit(project, "hr.yaml", "        timezone: Europe/Paris\n",
         "        timezone: Europe/Paris\n"
         "        transformations:\n"
         "          - {type: concatenate, columns: [FirstName, LastNam], into: FullName}\n")
    edit(project, "hr.yaml", "          PositionStartDate: PositionStartDate\n",
         "          PositionStartDate: PositionStartDate\n          BirthName: FullName\n")
    edit(project, "hr.yaml", "          BirthName: BirthName\n", "")
    code, out = run(project, "check")
    assert code == exitcodes.CONFIG_INVALID, out
    assert "transformations[0].columns[1]: column `LastNam` (transformation concatenate)" in out
    assert "did you mean `LastName`?" in out
    assert "FullName" not in out.split("header:")[0]  # the column a transformation adds exists
    edit(project, "hr.yaml", "LastNam]", "LastName]")
    assert run(project, "check")[0] == exitcodes.OK


def test_sync_warns_when_the_configuration_on_disk_is_not_deployed(project: Path) -> None:
    code, out = run(project, "sync", "HR", "-q")
    assert code == exitcodes.OK, out
    assert "differs from the deployed one" not in out
    edit(project, "hr.yaml", "display_name: Human resources", "display_name: HR")
    code, out = run(project, "sync", "HR", "-q")
    assert code == exitcodes.OK, out
    assert "differs from the deployed one, which this run uses" in out
    assert "~ connector HR" in out
    edit(project, "hr.yaml", "display_name: HR", "display_nam: HR")
    code, out = run(project, "sync", "HR", "-q")
    assert "the configuration on disk does not validate" in out
    edit(project, "hr.yaml", "display_nam: HR", "display_name: HR")
    assert run(project, "reload")[0] == exitcodes.OK
    code, out = run(project, "sync", "HR", "-q")
    assert "differs from the deployed one" not in out
