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
