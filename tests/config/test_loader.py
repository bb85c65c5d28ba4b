"""Configuration errors name the file, line and path, and suggest the right name (SPEC §2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from headcount.config.loader import load_project_config
from headcount.errors import ConfigError

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "headcount" / "samples" / "hr.yaml"


def _project(tmp_path: Path, text: str) -> Path:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "hr.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def _errors(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_project_config(_project(tmp_path, text))
    return [str(p) for p in caught.value.problems]


def test_the_sample_configuration_is_valid(tmp_path: Path) -> None:
    project = load_project_config(_project(tmp_path, SAMPLE.read_text(encoding="utf-8")))
    assert [et.identifier for et in project.connectors[0].entity_types] == [
        "HR_Person", "HR_Organization", "HR_Site", "HR_ContractType"]


def test_unknown_property_in_a_mapping_suggests_the_right_one(tmp_path: Path) -> None:
    text = SAMPLE.read_text(encoding="utf-8").replace("Email: Email", "Emial: Email")
    errors = _errors(tmp_path, text)
    assert len(errors) == 1
    assert "hr.yaml, line" in errors[0]
    assert "unknown property `Emial` in mapping `HR_Person` — did you mean `Email`?" in errors[0]


def test_unknown_setting_names_its_line_and_suggests(tmp_path: Path) -> None:
    text = """connectors:
  - identifier: HR
    connections:
      - identifier: People
        path: people.csv
        seperator: ";"
"""
    errors = _errors(tmp_path, text)
    assert errors == [f"{tmp_path}/config/hr.yaml, line 6, column 9: "
                      "connectors[0].connections[0].seperator: unknown setting `seperator` — "
                      "did you mean `separator`?"]


def test_navigation_without_flip_side_and_property_called_id(tmp_path: Path) -> None:
    text = """connectors:
  - identifier: HR
    entity_types:
      - identifier: P
        properties:
          - {identifier: Id}
          - {identifier: Boss, type: navigation, target: P}
"""
    errors = _errors(tmp_path, text)
    assert any("may not be called `Id`" in e for e in errors)
    assert any("needs its flip side" in e for e in errors)


def test_identifiers_are_unique_ignoring_case(tmp_path: Path) -> None:
    text = """connectors:
  - identifier: HR
  - identifier: hr
"""
    errors = _errors(tmp_path, text)
    assert any("connector `hr` is declared twice" in e and "line 3" in e for e in errors)


def test_two_mapping_keys_and_display_name_placeholders(tmp_path: Path) -> None:
    text = SAMPLE.read_text(encoding="utf-8").replace(
        '"{LastName} {FirstName}"', '"{LastNme} {FirstName}"')
    errors = _errors(tmp_path, text)
    assert any("unknown property `LastNme` — did you mean `LastName`?" in e for e in errors)


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    errors = _errors(tmp_path, "connectors:\n  - identifier: [HR\n")
    assert "line" in errors[0]
    assert "not valid YAML" in errors[0]


def test_the_example_project_uses_the_packaged_sample_configuration() -> None:
    for name in ("hr.yaml", "directory.yaml", "policy.yaml"):
        example = SAMPLE.parents[3] / "examples" / "hr" / "config" / name
        packaged = SAMPLE.with_name(name)
        assert example.read_text(encoding="utf-8") == packaged.read_text(encoding="utf-8")


def test_the_workforce_template_is_valid_beside_the_hr_connector(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    for name in ("hr.yaml", "directory.yaml"):
        (tmp_path / "config" / name).write_text(SAMPLE.with_name(name).read_text("utf-8"),
                                                encoding="utf-8")
    project = load_project_config(tmp_path)
    directory = project.connector("Directory")
    assert directory is not None
    record = directory.entity_type("Directory_UserRecord")
    assert record.find_property("Manager") is not None


def test_a_date_in_file_names_needs_a_pattern_with_its_group(tmp_path: Path) -> None:
    text = SAMPLE.read_text(encoding="utf-8").replace(
        "        path: data/hr_sites.csv\n",
        "        path: data/hr_sites_(?P<day>\\d{8})\\.csv\n        path_is_regex: true\n"
        "        path_date_format: '%Y%m%Q'\n")
    errors = _errors(tmp_path, text)
    assert any("connections[2].path: the pattern has no group `(?P<date>…)`" in e
               for e in errors), errors
    assert any("connections[2].path_date_format: date format `%Y%m%Q`: unknown directive"
               in e for e in errors), errors
    text = text.replace("        path_is_regex: true\n", "").replace("(?P<day>", "(?P<date>")
    (tmp_path / "2").mkdir()
    errors = _errors(tmp_path / "2", text)
    assert any("set `path_is_regex: true`" in e for e in errors), errors


def test_lookup_tables_are_declared_in_the_configuration(tmp_path: Path) -> None:
    text = SAMPLE.read_text(encoding="utf-8") + (
        "tables:\n"
        "  - identifier: countries\n"
        "    values: {FR: France, 42: answer, true: yes, BE: null}\n")
    project = load_project_config(_project(tmp_path, text))
    assert project.lookup_tables() == {
        "countries": {"FR": "France", "42": "answer", "true": True, "BE": None}}
    (tmp_path / "2").mkdir()
    errors = _errors(tmp_path / "2", text + "  - {identifier: Countries, values: {}}\n"
                                           "  - {identifier: sites, valeus: {}}\n")
    assert any("table `Countries` is declared twice" in e for e in errors), errors
    assert any("tables[2].valeus: unknown setting `valeus` — did you mean `values`?" in e
               for e in errors), errors


def test_a_path_counts_the_items_of_its_own_file(tmp_path: Path) -> None:
    # Files merge in name order; a path read beside its file counts that file's items only,
    # whatever other files (a.yaml here) add before it.
    project = _project(tmp_path, """connectors:
  - identifier: HR
    connections:
      - identifier: People
        path: people.csv
        seperator: ";"
""")
    (project / "config" / "a.yaml").write_text(
        "connectors:\n  - identifier: AD\n  - identifier: Other\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_project_config(project)
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path}/config/hr.yaml, line 6, column 9: connectors[0].connections[0].seperator: "
        "unknown setting `seperator` — did you mean `separator`?"]
