"""The sample project with correlation cases: identity records keyed in by hand earlier, under
other keys, for two HR people; a correlation rule of confidence 60 on the names finds them, so
the first synchronization opens a case for each instead of creating a duplicate."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from headcount.config.loader import load_project_config
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import deployments
from headcount.repository.apply import apply_changes
from headcount.repository.database import begin_write
from headcount.repository.naming import Naming
from headcount.repository.schema import correlation_cases
from headcount.sync.changes import RESOURCE_SCHEMA, ChangeSet
from webproject import make_project

RECORDS = "HR_Person_To_Directory_UserRecord"
# HR person → the key of the record keyed in by hand for them
HAND_KEYED = {"E00005": "X5", "E00007": "X7"}


def people(folder: Path) -> dict[str, dict[str, str]]:
    with (folder / "data" / "hr_people.csv").open(encoding="latin-1", newline="") as handle:
        return {r["EmployeeId"]: r for r in csv.DictReader(handle, delimiter=";")}


def make_case_project(folder: Path, url: str) -> Path:
    make_project(folder, url, people=200, synchronized=False)
    policy = folder / "config" / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    rule = "    correlation: [{source: [EmployeeId], target: [RecordIdentifier]}]"
    assert text.count(rule) == 1
    policy.write_text(text.replace(rule, (
        "    correlation:\n"
        "      - {source: [EmployeeId], target: [RecordIdentifier]}\n"
        "      - {source: [LastName, FirstName], target: [LastName, FirstName],"
        " confidence: 60}")), encoding="utf-8")
    hr = people(folder)
    ctx = ProjectContext.open(folder, url)
    try:
        with begin_write(ctx.engine) as conn:
            deployments.deploy(conn, load_project_config(folder))
            rows = []
            for person, key in HAND_KEYED.items():
                # Upper-case first names: the rule normalises case, so they still match.
                data = {"RecordIdentifier": key, "LastName": hr[person]["LastName"].strip(),
                        "FirstName": hr[person]["FirstName"].strip().upper(),
                        "Title": "keyed in by hand"}
                rows.append({"kind": "insert", "entity_type": "Directory_UserRecord",
                             "key": key, "data": json.dumps(data), "after": None, "hash": 0,
                             "connection": "manual", "line": None})
            apply_changes(conn, ChangeSet(pl.DataFrame(rows, schema=RESOURCE_SCHEMA)), 0,
                          Naming(deployments.require_latest(conn)[1]))
        synchronize(ctx, SyncRequest("HR"))
        with ctx.engine.connect() as conn:
            opened = dict(conn.execute(sa.select(correlation_cases.c.source_key,
                                                 correlation_cases.c.candidates)).all())
        for person, key in HAND_KEYED.items():
            assert key in [c["key"] for c in json.loads(opened[person])], opened
    finally:
        ctx.close()
    return folder


def case_id(engine: sa.Engine, source_key: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(correlation_cases.c.id).where(
            correlation_cases.c.source_key == source_key)).scalar_one())
