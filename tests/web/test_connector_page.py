"""The connector page warns, before anyone launches a run, that the configuration on disk is
not the deployed one that the run would use (issue 8, item 6)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from webproject import login, make_app, make_project


def test_the_connector_page_warns_of_an_undeployed_configuration(tmp_path: Path) -> None:
    folder = tmp_path / "hr"
    url = f"sqlite:///{tmp_path}/headcount.db"
    make_project(folder, url, people=200, synchronized=False)
    client = TestClient(make_app(folder, url))
    login(client, "op")
    page = client.get("/connectors/HR", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert 'id="undeployed"' not in page.text
    config = folder / "config" / "hr.yaml"
    config.write_text(config.read_text("utf-8").replace(
        "display_name: Human resources", "display_name: HR"), "utf-8")
    page = client.get("/connectors/HR", headers={"Accept": "text/html"})
    assert 'id="undeployed"' in page.text
    assert "<code>~ connector HR</code>" in page.text


def test_a_directory_connection_shows_its_password_settings_masked(tmp_path: Path) -> None:
    from directoryproject import DirectoryProject

    folder = tmp_path / "hr"
    url = f"sqlite:///{tmp_path}/headcount.db"
    make_project(folder, url, people=200, synchronized=False)
    DirectoryProject(folder, url, "package: ldap\nurl: ldaps://dc1.example.org\n"
                     "bind_dn: CN=reader,DC=example,DC=org\npassword_env: AD_SECRET_VARIABLE\n"
                     "base_dn: DC=example,DC=org").close()
    client = TestClient(make_app(folder, url))
    login(client, "op")
    shown = client.get("/api/connectors/AD").json()["connections"][0]
    assert shown["package"] == "ldap"
    assert shown["settings"]["password_env"] == "••••••"
    assert shown["settings"]["url"] == "ldaps://dc1.example.org"
    page = client.get("/connectors/AD", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "AD_SECRET_VARIABLE" not in page.text
