"""The `sso:` section (single sign-on): validated like the rest, every error at its file and line,
the client secret only as the name of an environment variable; its groups give the roles."""

from __future__ import annotations

from pathlib import Path

import pytest

from headcount.config.loader import load_project_config
from headcount.config.model import Project
from headcount.errors import ConfigError
from headcount.repository.deployments import config_diff

CONNECTOR = """connectors:
  - identifier: HR
"""
SSO = """sso:
  issuer: https://login.example.com/realms/staff/
  client_id: headcount
  roles:
    idm-admins: administrator
    auditors: reviewer
    2024: viewer
"""


def _project(tmp_path: Path, *files: str) -> Path:
    (tmp_path / "config").mkdir(parents=True, exist_ok=True)
    for i, text in enumerate((CONNECTOR, *files)):
        (tmp_path / "config" / f"{i}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def _errors(tmp_path: Path, *files: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_project_config(_project(tmp_path, *files))
    return [str(p) for p in caught.value.problems]


def test_the_section_is_read_with_its_defaults(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_project_config(_project(tmp_path, SSO)).sso
    assert settings is not None
    assert settings.issuer == "https://login.example.com/realms/staff"
    assert settings.scopes == ["openid", "profile", "email"]
    assert (settings.groups_claim, settings.default_role) == ("groups", None)
    assert settings.button_label == "single sign-on"
    # A group YAML reads as a number is a name all the same.
    assert settings.roles == {"idm-admins": "administrator", "auditors": "reviewer",
                              "2024": "viewer"}
    monkeypatch.delenv("HEADCOUNT_OIDC_SECRET", raising=False)
    assert settings.client_secret() is None
    monkeypatch.setenv("HEADCOUNT_OIDC_SECRET", "s3cret")
    assert settings.client_secret() == "s3cret"


def test_a_project_without_the_section_has_local_accounts_only(tmp_path: Path) -> None:
    assert load_project_config(_project(tmp_path)).sso is None


def test_the_first_listed_group_gives_the_role(tmp_path: Path) -> None:
    settings = load_project_config(_project(tmp_path, SSO)).sso
    assert settings is not None
    assert settings.role_of(["staff", "auditors", "idm-admins"]) == "administrator"
    assert settings.role_of(["auditors", "2024"]) == "reviewer"
    assert settings.role_of(["contractors"]) is None
    with_default = load_project_config(_project(tmp_path, SSO + "  default_role: viewer\n")).sso
    assert with_default is not None
    assert with_default.role_of([]) == "viewer"


def test_a_secret_in_plain_text_is_refused_at_its_line(tmp_path: Path) -> None:
    errors = _errors(tmp_path, SSO + "  client_secret: s3cret\n")
    assert errors == [f"{tmp_path}/config/1.yaml, line 8, column 3: sso.client_secret: unknown "
                      "setting `client_secret`"]


def test_an_unknown_role_names_its_line_and_suggests(tmp_path: Path) -> None:
    errors = _errors(tmp_path, SSO.replace("reviewer", "reviewr"))
    assert errors == [f"{tmp_path}/config/1.yaml, line 6, column 5: sso.roles.auditors: "
                      "unknown role `reviewr` — did you mean `reviewer`? (one of: "
                      "administrator, operator, hr, reviewer, viewer)"]


def test_the_issuer_is_https_and_openid_is_asked_for(tmp_path: Path) -> None:
    errors = _errors(tmp_path, """sso:
  issuer: http://login.example.com
  client_id: headcount
  scopes: [profile, groups]
""")
    assert len(errors) == 2
    assert "line 2, column 3: sso.issuer: issuer `http://login.example.com` is not an " \
           "https:// address" in errors[0]
    assert "line 4, column 3: sso.scopes: the scopes must include `openid`" in errors[1]
    # http:// only on this machine, for a test provider.
    local = load_project_config(_project(tmp_path, "sso: {issuer: 'http://127.0.0.1:8080', "
                                                    "client_id: hc}\n")).sso
    assert local is not None
    assert local.issuer == "http://127.0.0.1:8080"


def test_reload_shows_the_section_when_it_changes(tmp_path: Path) -> None:
    without = load_project_config(_project(tmp_path / "a"))
    with_sso = load_project_config(_project(tmp_path / "b", SSO))
    assert config_diff(without, with_sso).added == ["sso"]
    assert config_diff(with_sso, with_sso).changed == []
    again = Project.model_validate_json(with_sso.model_dump_json())
    assert again == with_sso
