"""The directory connection packages in the configuration: ldap, ldif and adcsv beside csv (the
default), a password never in YAML, errors located as any other."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headcount.cli.app import app
from headcount.config.directory import AdCsvConnection, LdapConnection, LdifConnection
from headcount.config.loader import load_project_config
from headcount.config.model import Connection
from headcount.errors import ConfigError

CONFIG = """connectors:
  - identifier: AD
    connections:
      - identifier: Server
        package: ldap
        url: ldaps://dc1.example.org:636
        bind_dn: CN=reader,OU=Service,DC=example,DC=org
        password_env: AD_PASSWORD
        base_dn: OU=People,DC=example,DC=org
        filter: (objectClass=user)
        attributes: [sAMAccountName, memberOf]
{EXTRA}
      - identifier: Export
        package: ldif
        path: data/people.ldif
      - identifier: Csv
        package: adcsv
        path: data/ad.csv
      - identifier: Hr
        path: data/hr.csv
"""


def _load(tmp_path: Path, extra: str = "") -> list[object]:
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "ad.yaml").write_text(CONFIG.replace("{EXTRA}", extra),
                                                 encoding="utf-8")
    try:
        project = load_project_config(tmp_path)
    except ConfigError as exc:
        return [str(p) for p in exc.problems]
    return list(project.connectors[0].connections)


def test_each_package_reads_as_its_model(tmp_path: Path) -> None:
    connections = _load(tmp_path)
    assert [type(c) for c in connections] == [LdapConnection, LdifConnection, AdCsvConnection,
                                              Connection]
    server = connections[0]
    assert isinstance(server, LdapConnection)
    assert (server.verify, server.page_size, server.scope, server.multivalue_separator) == (
        True, 500, "sub", "|")


def test_a_password_in_yaml_says_where_it_goes(tmp_path: Path) -> None:
    errors = _load(tmp_path, "        password: hunter2")
    assert len(errors) == 1
    assert "line 4" in str(errors[0])
    assert "connectors[0].connections[0]" in str(errors[0])
    assert "`password_env`" in str(errors[0])
    assert "`password_file`" in str(errors[0])
    assert "hunter2" not in str(errors[0])


def test_an_unknown_ldap_setting_is_suggested_among_ldap_settings(tmp_path: Path) -> None:
    errors = _load(tmp_path, "        page_sise: 100")
    assert len(errors) == 1
    assert "connectors[0].connections[0].page_sise" in str(errors[0])
    assert "did you mean `page_size`?" in str(errors[0])


def test_the_filter_setting_keeps_its_name_in_errors(tmp_path: Path) -> None:
    # `filter` is also the tag of a transformation: only a tag after an index is dropped.
    errors = _load(tmp_path, "        scope: everywhere")
    assert "connectors[0].connections[0].scope" in str(errors[0])


@pytest.mark.parametrize(("extra", "said"), [
    ("        password_file: secret.txt", "`password_env` or `password_file`, not both"),
    ("        start_tls: true", "ldaps:// is TLS already"),
])
def test_inconsistent_settings_are_refused(tmp_path: Path, extra: str, said: str) -> None:
    errors = _load(tmp_path, extra)
    assert len(errors) == 1
    assert said in str(errors[0])


def test_an_unknown_package_lists_the_known_ones(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "x.yaml").write_text(
        "connectors:\n  - identifier: X\n    connections:\n"
        "      - {identifier: A, package: xlsx, path: a.xlsx}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="one of csv, ldap, ldif, adcsv"):
        load_project_config(tmp_path)


def test_the_schema_publishes_every_package() -> None:
    result = CliRunner().invoke(app, ["schema"])
    text = json.dumps(json.loads(result.output))
    for name in ("LdapConnection", "LdifConnection", "AdCsvConnection", "incremental_by",
                 "password_env", "page_size"):
        assert name in text
    assert '"password"' not in text
