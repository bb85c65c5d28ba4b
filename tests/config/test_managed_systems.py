"""Managed systems and owner resource types are validated like the rest: every reference
resolves, every problem located with its file, line and path, and a suggestion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accountsproject import CONFIG
from headcount.cli.app import app
from headcount.config.loader import load_project_config
from headcount.errors import ConfigError

SAMPLES = Path(__file__).resolve().parents[2] / "src" / "headcount" / "samples"


def _project(tmp_path: Path, text: str) -> Path:
    (tmp_path / "config").mkdir(parents=True)
    for name in ("hr.yaml", "directory.yaml", "policy.yaml"):
        (tmp_path / "config" / name).write_text((SAMPLES / name).read_text("utf-8"), "utf-8")
    (tmp_path / "config" / "ad.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_project_config(_project(tmp_path, text))
    return [str(p) for p in caught.value.problems]


def test_a_managed_system_with_its_owner_resource_type(tmp_path: Path) -> None:
    project = load_project_config(_project(tmp_path, CONFIG))
    system = project.managed_system("ad")
    assert system is not None
    assert system.owner == "AD_User_Owner"
    assert (system.last_logon_lag_days, system.unused_after_days, system.grace_days) == (14, 90,
                                                                                         30)
    assert [rt.identifier for rt in project.resource_types if rt.owner] == ["AD_User_Owner"]


@pytest.mark.parametrize(("old", "new", "where", "message"), [
    ("    connector: AD\n", "    connector: ADD\n", "managed_systems[0].connector",
     "unknown connector `ADD` — did you mean `AD`?"),
    ("    accounts: AD_User\n", "    accounts: AD_Users\n", "managed_systems[0].accounts",
     "`AD_Users` is not an entity type of connector `AD` — did you mean `AD_User`?"),
    ("    last_logon: lastLogonTimestamp\n", "    last_logon: lastLogon\n",
     "managed_systems[0].last_logon", "unknown property `lastLogon` of `AD_User`"),
    ("    disabled: accountDisabled\n", "    disabled: description\n",
     "managed_systems[0].disabled", "`description` is a string property"),
    ("    owner: AD_User_Owner\n", "    owner: AD_User_Owners\n", "managed_systems[0].owner",
     "`AD_User_Owners` is no resource type"),
    ("service_accounts: {description:", "service_accounts: {descripton:",
     "managed_systems[0].service_accounts.descripton", "unknown property `descripton`"),
    ("    target: Directory_User\n    owner: true\n",
     "    target: Directory_UserRecord\n    owner: true\n", "resource_types[0].target",
     "an owner resource type targets `Directory_User`"),
    ("[employeeNumber], target: [EmployeeId]", "[employeeNumber], target: [EmployeeNo]",
     "resource_types[0].correlation[0].target[0]",
     "`EmployeeNo` is not a scalar property of `Directory_User`"),
])
def test_each_wrong_reference_is_located_and_explained(tmp_path: Path, old: str, new: str,
                                                       where: str, message: str) -> None:
    assert old in CONFIG
    shown = _problems(tmp_path, CONFIG.replace(old, new, 1))
    assert len(shown) == 1, shown
    assert "ad.yaml, line " in shown[0]
    assert where in shown[0]
    assert message in shown[0]


def test_unused_below_the_replication_lag_is_refused_with_the_reason(tmp_path: Path) -> None:
    text = CONFIG + "    unused_after_days: 7\n"
    shown = _problems(tmp_path, text)
    assert len(shown) == 1
    assert "managed_systems[0].unused_after_days" in shown[0]
    assert "7 days is below `last_logon_lag_days` (14)" in shown[0]
    # With a directory that replicates the last logon at once, a week is fine.
    load_project_config(_project(tmp_path / "again", text + "    last_logon_lag_days: 0\n"))


def test_the_schema_publishes_the_section(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert "managed_systems" in schema["properties"]
    defs = schema.get("$defs", {})
    assert "unused_after_days" in defs["ManagedSystem"]["properties"]
    assert "owner" in defs["ResourceType"]["properties"]
