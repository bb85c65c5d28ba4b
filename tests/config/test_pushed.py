"""The `pushed` connection package in the configuration: SCIM attribute paths parsed when the
project loads (a bad one is a located error), the sample project with its people pushed loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from headcount.config.loader import load_project_config
from headcount.config.pushed import PushedConnection, parse_path
from headcount.errors import ConfigError
from pushproject import CONTOSO, ENTERPRISE, push_config


def test_the_sample_with_pushed_people_loads(tmp_path: Path) -> None:
    push_config(tmp_path)
    project = load_project_config(tmp_path)
    connector = project.connector("HR")
    assert connector is not None
    people = connector.connection("HR_People")
    assert isinstance(people, PushedConnection)
    paths = people.paths()
    assert paths["EmployeeId"].schema == ENTERPRISE
    assert (paths["ManagerId"].name, paths["ManagerId"].sub) == ("manager", "value")
    assert paths["ContractStartDate"].schema == CONTOSO
    email = paths["Email"]
    assert (email.name, email.filter_field, email.filter_value, email.sub) == \
        ("emails", "type", "work", "value")
    assert (people.max_operations, people.unknown_attributes) == (50, "reject")


@pytest.mark.parametrize(("text", "coarse"), [
    ("userName", "username"),
    ("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName", "name.givenname"),
    ("emails[primary eq true].value", "emails.value"),
    (f"{ENTERPRISE}:manager.value", f"{ENTERPRISE.lower()}:manager.value"),
])
def test_paths_are_read_with_their_schema(text: str, coarse: str) -> None:
    assert parse_path(text).coarse == coarse


@pytest.mark.parametrize("text", ["", "emails[type = \"work\"].value", "name..givenName",
                                  "urn:x:1 2", "a.b.c"])
def test_a_bad_path_is_a_located_error(tmp_path: Path, text: str) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "hr.yaml").write_text(f"""connectors:
  - identifier: HR
    connections:
      - identifier: People
        package: pushed
        attributes:
          EmployeeId: '{text}'
""", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"hr\.yaml") as caught:
        load_project_config(tmp_path)
    assert "no SCIM attribute path" in str(caught.value)
