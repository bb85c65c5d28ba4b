"""`headcount show`: values, links and history as people read them (an empty value is `—`,
never `None`), as JSON for scripts, and a "did you mean" for a mistyped entity type."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headcount.cli import exitcodes
from headcount.cli.app import app
from headcount.samples import hrfiles

runner = CliRunner()


def run(project: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--project", str(project), *args])
    return result.exit_code, result.output


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample after its day one and its next day (updates that fill empty values)."""
    monkeypatch.setenv("HEADCOUNT_DATABASE_URL", db_url)
    folder = tmp_path / "hr"
    code, out = run(folder, "init", "--people", "300")
    assert code == 0, out
    code, out = run(folder, "sync", "HR", "-q")
    assert code == exitcodes.OK, out
    hrfiles.main(["--out", str(folder / "data"), "--people", "300", "--next-day"])
    code, out = run(folder, "sync", "HR", "-q")
    assert code == exitcodes.OK, out
    return folder


def test_show_json_then_text(project: Path) -> None:
    code, out = run(project, "show", "HR_Person", "--json", "--limit", "1000")
    assert code == 0, out
    listing = json.loads(out)
    assert listing["entity_type"] == "HR_Person"
    assert listing["total"] == len(listing["resources"]) > 300
    # A person with empty values, and one whose empty end date was filled the next day.
    empty = next(r["key"] for r in listing["resources"] if r["values"]["BirthName"] is None)
    code, out = run(project, "show", "HR_Person", empty, "--json")
    assert code == 0, out
    person = json.loads(out)
    assert (person["key"], person["values"]["BirthName"]) == (empty, None)
    assert person["links"]["Site"][0]["entity_type"] == "HR_Site"
    assert person["history"][0]["kind"] == "insert"
    assert person["history"][0]["run"] == 1
    assert person["history"][0]["line"] > 1

    code, out = run(project, "show", "HR_Person", empty)
    assert code == 0, out
    assert "None" not in out
    assert "Birth name: —" in out  # property display names, not identifiers
    assert "run 1 insert: EmployeeId: " in out
    assert "BirthName: —" in out.split("history")[1]


def test_show_names_resources_beside_their_keys(project: Path) -> None:
    code, out = run(project, "show", "HR_Person", "--json", "--limit", "1000")
    people = {r["key"]: r for r in json.loads(out)["resources"]}
    person = next(r for r in people.values() if r["values"]["LastName"])
    code, out = run(project, "show", "HR_Person", person["key"], "--json")
    assert code == 0, out
    shown = json.loads(out)
    manager = shown["links"]["Manager"][0]
    boss = people[manager["key"]]["values"]
    assert manager["display_name"] == f"{boss['LastName']} {boss['FirstName']}"
    assert shown["links"]["Organization"][0]["display_name"] != \
        shown["links"]["Organization"][0]["key"]

    code, out = run(project, "show", "HR_Person", person["key"])
    assert code == 0, out
    lines = out.splitlines()
    values = person["values"]
    assert lines[0] == f"{values['LastName']} {values['FirstName']} — Person {person['key']}"
    assert "  Contract start date: " in out
    assert "ContractStartDate:" not in out.split("history")[0]
    assert f"  Manager → {manager['display_name']} {manager['key']}" in lines
    organization = shown["links"]["Organization"][0]
    assert f"  Organization → {organization['display_name']} {organization['key']}" in lines

    # The list: display names as headers, each key with its name.
    code, out = run(project, "show", "HR_Person", "--limit", "5")
    assert code == 0, out
    header = out.splitlines()[1].split()
    assert header[:2] == ["Key", "Name"]
    assert "E-mail" in header
    assert "Email" not in header
    first = sorted(people)[0]
    name = f"{people[first]['values']['LastName']} {people[first]['values']['FirstName']}"
    assert any(line.startswith(first) and name in line for line in out.splitlines()), out


def test_an_update_from_empty_reads_as_empty(project: Path) -> None:
    code, out = run(project, "job", "2", "--changes", "--kind", "update", "--limit", "500")
    assert code == 0, out
    assert "None" not in out
    filled = [line for line in out.splitlines() if "ContractEndDate: — → " in line]
    assert filled, out
    key = filled[0].split()[2].rstrip(":")
    # The change list names the changed resource beside its key.
    person = json.loads(run(project, "show", "HR_Person", key, "--json")[1])
    assert f"~ HR_Person {key} ({person['display_name']}): " in filled[0]
    code, out = run(project, "show", "HR_Person", key)
    assert code == 0, out
    assert "run 2 update: ContractEndDate: — → " in out
    assert "None" not in out


def test_an_unknown_entity_type_gets_a_did_you_mean(project: Path) -> None:
    code, out = run(project, "show", "HR_Persn", "E00002")
    assert code == exitcodes.NOT_FOUND
    assert "no entity type `HR_Persn` — did you mean `HR_Person`?" in out
    code, out = run(project, "show", "Nothing_Like_It")
    assert code == exitcodes.NOT_FOUND
    assert "did you mean" not in out
