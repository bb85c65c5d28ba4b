"""Resource types are validated like the rest: every binding resolves, with a suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest

from headcount.config.loader import load_project_config
from headcount.errors import ConfigError

SAMPLES = Path(__file__).resolve().parents[2] / "src" / "headcount" / "samples"

GOOD = """
resource_types:
  - identifier: HR_Person_To_Directory_UserRecord
    source: HR_Person
    target: Directory_UserRecord
    type_rules:
      - filter: {ContractType: [permanent, fixed-term]}
    correlation:
      - {source: [EmployeeId], target: [EmployeeId]}
      - {source: [LastName, FirstName], target: [LastName, FirstName], confidence: 60}
    scalars:
      - {target: EmployeeId, source: EmployeeId}
      - {target: LastName, source: LastName, compare: ignore_case}
      - {target: Login, expression: "slug(concat(FirstName, '.', LastName))", when: on_create}
      - {target: ContractStartDate, source: ContractStartDate}
      - {target: RecordIdentifier, source: EmployeeId}
    queries:
      - {target: Organization, source: Organization.Code, match: Identifier}
      - {target: Site, source: Site.Code, match: Identifier}
"""


def _project(tmp_path: Path, extra: str) -> Path:
    (tmp_path / "config").mkdir(parents=True)
    for name in ("hr.yaml", "directory.yaml"):
        (tmp_path / "config" / name).write_text((SAMPLES / name).read_text("utf-8"), "utf-8")
    (tmp_path / "config" / "policy.yaml").write_text(extra, encoding="utf-8")
    return tmp_path


def test_a_resource_type_with_bindings_through_navigations(tmp_path: Path) -> None:
    project = load_project_config(_project(tmp_path, GOOD))
    rt = project.resource_types[0]
    assert rt.correlation[1].confidence == 60
    assert rt.max_changes_pct == 30  # the provisioning threshold's default


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_project_config(_project(tmp_path, text))
    return [str(p) for p in caught.value.problems]


def test_a_binding_that_does_not_resolve_is_named_with_a_suggestion(tmp_path: Path) -> None:
    shown = _problems(tmp_path, GOOD.replace("source: Organization.Code",
                                             "source: Organisation.Code"))
    assert len(shown) == 1
    assert "policy.yaml, line 18" in shown[0]
    assert ("`Organisation.Code` does not resolve on `HR_Person` — did you mean "
            "`Organization`?") in shown[0]


def test_a_query_rule_targets_a_navigation(tmp_path: Path) -> None:
    shown = _problems(tmp_path, GOOD.replace("{target: Site, source", "{target: Sites, source"))
    assert shown == [s for s in shown if "`Sites` is not a navigation property of "
                     "`Directory_UserRecord` — did you mean `Site`?" in s]
    assert len(shown) == 1


def test_a_scalar_rule_needs_one_origin_and_a_known_target(tmp_path: Path) -> None:
    shown = _problems(tmp_path, GOOD.replace(
        "{target: EmployeeId, source: EmployeeId}",
        "{target: EmployeId, source: EmployeeId, expression: \"'x'\"}"))
    assert any("give either `source` or `expression`" in s for s in shown)
    shown = _problems(tmp_path / "2", GOOD.replace("{target: EmployeeId, source: EmployeeId}",
                                                   "{target: EmployeId, source: EmployeeId}"))
    assert any("`EmployeId` is not a scalar property of `Directory_UserRecord` — did you mean "
               "`EmployeeId`?" in s for s in shown)


def test_a_binding_through_a_flip_side_says_to_bind_the_identity_itself(
        tmp_path: Path) -> None:
    sample = (SAMPLES / "policy.yaml").read_text("utf-8")
    rule = "      - {source: [EmployeeId], target: [Identifier]}\n"
    assert sample.count(rule) == 1
    policy = sample.replace(
        rule, "      - {source: [LastName], target: [Records.LastName], confidence: 60}\n")
    shown = _problems(tmp_path, policy)
    assert len(shown) == 1, shown
    assert ("resource_types[2].correlation[0].target[0]: `Records` is the flip side of "
            "`Directory_UserRecord.User`: bindings follow navigations forward only") in shown[0]
    # What the workforce template offers instead: the names on the identity.
    project = load_project_config(_project(tmp_path / "2", policy.replace(
        "target: [Records.LastName]", "target: [LastName]")))
    assert project.resource_types[2].correlation[0].target == ["LastName"]
