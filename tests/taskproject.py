"""The sample project with workflow tasks waiting in My Tasks: a retitle workflow reviewed by
HR or the record's manager, started for three identity records (the third also moves the record
to another manager; its manager is the user `boss`). Two workflows wait to be started by hand:
`NewPerson` creates a person of the `People` connector (with homonym detection on names and
birth date, `Dupont Zoé` born 1990-05-17 exists), `Rename` changes a person's names at
once (`ImportPerson` made the people)."""

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
  - identifier: NewPerson
    entity_type: Person
    display_name: New person
    properties: [PersonId, LastName, FirstName, BirthDate, Kind, Site]
    required: [LastName, FirstName]
    homonyms: {last_name: LastName, first_name: FirstName, birth_date: BirthDate}
    activities:
      - {identifier: Check, template: Review, roles: [hr]}
      - {template: Persist}
  - identifier: Rename
    entity_type: Person
    display_name: Rename a person
    properties: [LastName, FirstName]
    activities:
      - {template: Persist}
  - identifier: ImportPerson
    entity_type: Person
    activities:
      - {template: Persist}
connectors:
  - identifier: People
    entity_types:
      - identifier: Person
        display_name: Person
        resource_display_name: "{LastName} {FirstName}"
        keys: [PersonId]
        properties:
          - {identifier: PersonId, display_name: Person id}
          - {identifier: LastName, display_name: Last name}
          - {identifier: FirstName, display_name: First name}
          - {identifier: BirthDate, display_name: Birth date, type: date}
          - {identifier: Kind, type: enum, values: [employee, contractor]}
          - {identifier: Site, type: navigation, target: Directory_Site, flip: People}
"""
# The people who exist: homonyms of a new person are looked for among them.
PEOPLE = {"P1": {"PersonId": "P1", "LastName": "Dupont", "FirstName": "Zoé",
                 "BirthDate": "1990-05-17", "Kind": "employee"},
          "P2": {"PersonId": "P2", "LastName": "Martin", "FirstName": "Paul",
                 "BirthDate": "1985-01-02", "Kind": "contractor"}}
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
            for key, values in PEOPLE.items():
                start(conn, project, "ImportPerson", WorkflowChanges([ResourceChange(
                    "Person", key, "insert", {p: (None, v) for p, v in values.items()})]),
                    actor="tests")
    finally:
        ctx.close()
    return folder
