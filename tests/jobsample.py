"""The sample project after two days of HR files, for the job result and history tests: day one
(run 1: hundreds of provisioning orders), the next day (run 2: joiners, movers, leavers), and a
date evaluation launched by the operator `op` from the API (run 3). One person's last name
reads as a formula, as a careless or malicious HR export could write it."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.samples import hrfiles
from webproject import login, make_app, make_project

PEOPLE = 200
FORMULA = "=1+2"
HTML = {"Accept": "text/html"}


def _formula_last_name(people: Path, key: str | None = None) -> str:
    """Give the person `key` (the first of the file) the last name FORMULA; returns the key."""
    text = people.read_text(encoding="latin-1")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    row = next(r for r in rows[1:] if key in (None, r[0]))
    row[rows[0].index("LastName")] = FORMULA
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n" if "\r\n" in text else "\n") \
        .writerows(rows)
    people.write_text(out.getvalue(), encoding="latin-1")
    return row[0]


def finished(client: TestClient, run_id: int) -> dict[str, object]:
    # A run executes in the server's thread; the test waits for its result, not for a time.
    for _ in range(600):
        run: dict[str, object] = client.get(f"/api/runs/{run_id}").json()
        if run["state"] != "running":
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish")


def job_sample(folder: Path, url: str) -> tuple[FastAPI, str]:
    """The app over the sample after its three runs, and the key of the formula person."""
    project = make_project(folder, url, people=PEOPLE, synchronized=False)
    key = _formula_last_name(project / "data" / "hr_people.csv")
    ctx = ProjectContext.open(project, url)
    try:
        synchronize(ctx, SyncRequest("HR"))
        hrfiles.write_dataset(hrfiles.generate_next_day(hrfiles.generate_day_one(PEOPLE)),
                              project / "data")
        _formula_last_name(project / "data" / "hr_people.csv", key)
        synchronize(ctx, SyncRequest("HR"))
    finally:
        ctx.close()
    app = make_app(project, url)
    operator = TestClient(app)
    csrf = login(operator, "op")
    launched = operator.post("/api/connectors/HR/evaluate", headers={"X-CSRF-Token": csrf})
    assert launched.status_code == 202
    assert finished(operator, launched.json()["run_id"])["state"] == "succeeded"
    return app, key
