"""The sample project with workflow tasks waiting in My Tasks: a retitle workflow reviewed by
HR or the record's manager, started for three identity records (the third also moves the record
to another manager; its manager is the user `boss`)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from headcount.project import ProjectContext
from headcount.repository import users
from headcount.repository.database import begin_write
from headcount.repository.schema import links
from headcount.workflows.changes import ResourceChange, WorkflowChanges, current
from headcount.workflows.engine import start
from webproject import PASSWORD, make_project

RECORD = "Directory_UserRecord"
WORKFLOWS = """
workflows:
  - identifier: Retitle
    entity_type: Directory_UserRecord
    display_name: Change a title
    activities:
      - {identifier: Review, template: Review, roles: [hr], relations: [Manager]}
      - {template: Persist}
"""
# The subjects, oldest task first, and the title each would take.
TITLES = {"E00002": "Chief of staff", "E00003": "Head of payroll", "E00004": "Data steward"}


def make_task_project(folder: Path, url: str) -> Path:
    config = folder.parent / "workflows.yaml"
    config.write_text(WORKFLOWS, encoding="utf-8")
    make_project(folder, url, people=200, extra=[config])
    ctx = ProjectContext.open(folder, url)
    try:
        project = ctx.deployed()[1]
        with begin_write(ctx.engine) as conn:
            for key, title in TITLES.items():
                found = current(conn, RECORD, key)
                assert found is not None
                moved: dict[str, tuple[list[str], list[str]]] = {}
                if key == "E00004":
                    before = sorted(str(k) for k in conn.execute(
                        sa.select(links.c.target_key).where(
                            links.c.source_id == found[0],
                            links.c.navigation == f"{RECORD}.Manager")).scalars())
                    moved["Manager"] = (before, ["E00001"])
                    # Its manager acts on it too, a viewer by role: `boss` is that person.
                    users.add_user(conn, "boss", PASSWORD, "viewer", identity=before[0])
                start(conn, project, "Retitle", WorkflowChanges([ResourceChange(
                    RECORD, key, "update", {"Title": (found[1].get("Title"), title)}, moved)]),
                    actor="tests", message=f"New title for {key}")
    finally:
        ctx.close()
    return folder
