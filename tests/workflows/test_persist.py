"""A persisted workflow is followed by the rules that read what it changed (SPEC §7.3): a
phone book fed by the Directory's identity records takes an approved title in the same run."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from headcount.jobs.evaluation import evaluate_policy
from headcount.project import ProjectContext
from headcount.repository import runs
from headcount.repository.database import begin_write
from headcount.repository.schema import provisioning_orders
from headcount.repository.users import find_user
from headcount.workflows.changes import ResourceChange, WorkflowChanges, current
from headcount.workflows.engine import decide, start
from headcount.workflows.tasks import inbox
from webproject import make_project

CONFIG = """
connectors:
  - identifier: Phonebook
    entity_types:
      - identifier: Phonebook_Entry
        keys: [Key]
        properties:
          - {identifier: Key}
          - {identifier: Title}
resource_types:
  - identifier: Directory_UserRecord_To_Phonebook_Entry
    source: Directory_UserRecord
    target: Phonebook_Entry
    correlation: [{source: [RecordIdentifier], target: [Key]}]
    scalars:
      - {target: Key, source: RecordIdentifier}
      - {target: Title, source: Title}
workflows:
  - identifier: Retitle
    entity_type: Directory_UserRecord
    activities:
      - {template: Review, roles: [hr]}
      - {template: Persist}
"""
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_a_persisted_change_feeds_the_rules_that_read_it(tmp_path: Path, db_url: str) -> None:
    extra = tmp_path / "phonebook.yaml"
    extra.write_text(CONFIG, encoding="utf-8")
    folder = make_project(tmp_path / "hr", db_url, people=200, extra=[extra])
    ctx = ProjectContext.open(folder, db_url)
    try:
        project = ctx.deployed()[1]
        first = evaluate_policy(ctx, "Directory", now=NOW)
        assert first.state == runs.SUCCEEDED, first.message
        with ctx.engine.connect() as conn:
            record = current(conn, "Directory_UserRecord", "E00002")
            entry = current(conn, "Phonebook_Entry", "E00002")
        assert record is not None
        assert entry is not None
        assert entry[1]["Title"] == record[1]["Title"]
        with begin_write(ctx.engine) as conn:
            start(conn, project, "Retitle", WorkflowChanges([ResourceChange(
                "Directory_UserRecord", "E00002", "update",
                {"Title": (record[1]["Title"], "Chief of staff")})]), actor="op", now=NOW)
            hr = find_user(conn, "hr")
            assert hr is not None
            _, (task,) = inbox(conn, project, hr)
            decided = decide(conn, project, task.id, hr, "Approve", now=NOW)
        assert decided.run_id is not None
        with ctx.engine.connect() as conn:
            entry = current(conn, "Phonebook_Entry", "E00002")
            orders = conn.execute(sa.select(provisioning_orders.c.resource_type,
                                            provisioning_orders.c.target_key).where(
                provisioning_orders.c.run_id == decided.run_id)).all()
        assert entry is not None
        assert entry[1]["Title"] == "Chief of staff"
        # Only what the workflow changed was evaluated: one order, in the persisting run.
        assert [tuple(o) for o in orders] == [("Directory_UserRecord_To_Phonebook_Entry",
                                               "E00002")]
    finally:
        ctx.close()
