"""A run of a connector whose people are pushed (jobs/sources.py): it reads the records waiting
at its start, newest per key winning, and marks them applied in its own apply transaction — a
dry run leaves them waiting; a complete run needs a completed full snapshot."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import pushed
from headcount.repository.database import begin_write
from headcount.repository.pushed import Operation
from headcount.repository.schema import resources
from pushproject import make_push_project


def _push(ctx: ProjectContext, *rows: Mapping[str, str | None]) -> int:
    operations = [Operation(n, None, row["EmployeeId"], row)
                  for n, row in enumerate(rows, start=1)]
    with begin_write(ctx.engine) as conn:
        return pushed.store_request(
            conn, connector="HR", connection="HR_People", kind="records", token_id=1,
            token_label="token 1 (hris)", idempotency_key=None, body_sha256="-",
            snapshot_id=None, operations=operations, now=datetime.now(UTC))


def _status(ctx: ProjectContext, request_id: int) -> list[str]:
    with ctx.engine.connect() as conn:
        return [op["detail"] for op in
                pushed.request_status(conn, "HR", request_id)["Operations"]]


def test_a_run_applies_what_waits_and_a_dry_run_leaves_it(tmp_path: Path, db_url: str) -> None:
    ctx = ProjectContext.open(make_push_project(tmp_path / "hr", db_url), db_url)
    try:
        person = {"EmployeeId": "E95001", "LastName": "Old", "FirstName": "Al",
                  "ContractType": "permanent", "OrganizationCode": "ORG001"}
        first = _push(ctx, person, person | {"EmployeeId": "E95002"})
        second = _push(ctx, person | {"LastName": "New"})
        dry = synchronize(ctx, SyncRequest("HR", "incremental", dry_run=True))
        assert _status(ctx, first) == ["waiting for a run"] * 2
        run = synchronize(ctx, SyncRequest("HR", "incremental"))
        assert run.state in ("succeeded", "succeeded with warnings")
        assert dry.id != run.id
        assert _status(ctx, first) == [f"applied by run {run.id}"] * 2
        assert _status(ctx, second) == [f"applied by run {run.id}"]
        with ctx.engine.connect() as conn:
            data = conn.execute(sa.select(resources.c.data).where(
                resources.c.entity_type == "HR_Person", resources.c.key == "E95001")
            ).scalar_one()
        assert json.loads(data)["LastName"] == "New"  # the newest record of a key wins
        entry = next(f for f in run.files if f["connection"] == "HR_People")
        assert entry["pushed_by"] == "token 1 (hris)"
        assert [r[0] for r in entry["pushed"]] == [first, second]
        again = synchronize(ctx, SyncRequest("HR", "incremental"))
        entry = next(f for f in again.files if f["connection"] == "HR_People")
        assert (entry["rows"], entry["pushed"]) == (0, [])  # nothing waits any more
    finally:
        ctx.close()


def test_a_complete_run_needs_a_completed_snapshot(tmp_path: Path, db_url: str) -> None:
    ctx = ProjectContext.open(make_push_project(tmp_path / "hr", db_url), db_url)
    try:
        _push(ctx, {"EmployeeId": "E96001", "LastName": "Lone", "ContractType": "permanent"})
        synchronize(ctx, SyncRequest("HR", "incremental"))
        run = synchronize(ctx, SyncRequest("HR", "complete"))
        assert run.state == "failed"
        assert run.message is not None
        assert "a complete run reads a full snapshot, and none is complete" in run.message
    finally:
        ctx.close()

