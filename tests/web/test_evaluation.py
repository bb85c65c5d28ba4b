"""The date evaluation launched from the web (SPEC §8): the connector page's button and
`POST /api/connectors/{name}/evaluate`, a run of mode `evaluation`, audited."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from webproject import login, make_app, make_project


def _finished(client: TestClient, run_id: int) -> dict[str, object]:
    # A run executes in the server's thread; the test waits for its result, not for a time.
    for _ in range(600):
        run: dict[str, object] = client.get(f"/api/runs/{run_id}").json()
        if run["state"] != "running":
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish")


def test_an_operator_launches_the_date_evaluation(tmp_path: Path) -> None:
    folder = tmp_path / "hr"
    url = f"sqlite:///{tmp_path}/headcount.db"
    make_project(folder, url)
    client = TestClient(make_app(folder, url))
    csrf = login(client, "op")
    page = client.get("/connectors/HR", headers={"Accept": "text/html"})
    assert "Evaluate dates" in page.text
    launched = client.post("/api/connectors/HR/evaluate", headers={"X-CSRF-Token": csrf})
    assert launched.status_code == 202
    run = _finished(client, launched.json()["run_id"])
    assert (run["mode"], run["state"]) == ("evaluation", "succeeded")
    by_form = client.post("/connectors/HR/evaluate", data={"csrf": csrf},
                          follow_redirects=False)
    assert by_form.status_code == 303
    viewer = TestClient(make_app(folder, url))
    viewer_csrf = login(viewer, "view")
    assert "Evaluate dates" not in viewer.get("/connectors/HR",
                                              headers={"Accept": "text/html"}).text
    assert viewer.post("/api/connectors/HR/evaluate",
                       headers={"X-CSRF-Token": viewer_csrf}).status_code == 403
    admin = TestClient(make_app(folder, url))
    login(admin, "admin")
    audit = admin.get("/api/audit").json()
    assert any(entry["action"] == "evaluate" for entry in audit)
