"""A small HR project for the tests: people (with a manager) and organizations, written as files
the way HR systems produce them, synchronized through the public entry points."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from headcount.config.loader import load_project_config
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import deployments
from headcount.repository.runs import RunRecord

CONFIG = """
connectors:
  - identifier: HR
    thresholds: {THRESHOLDS}
    connections:
      - identifier: People
        path: data/people.csv
        path_incremental: data/people_delta.csv
        encoding: {ENCODING}
        separator: "{SEPARATOR}"
        date_formats: ["%d/%m/%Y"]
        command_column: Command
      - identifier: Orgs
        path: data/orgs.csv
    entity_types:
      - identifier: HR_Person
        resource_display_name: "{{LastName}} {{FirstName}}"
        keys: [EmployeeId]
        properties:
          - {{identifier: EmployeeId}}
          - {{identifier: FirstName}}
          - {{identifier: LastName}}
          - {{identifier: StartDate, type: date}}
          - {{identifier: Manager, type: navigation, target: HR_Person, flip: Subordinates}}
          - {{identifier: Organization, type: navigation, target: HR_Org, flip: Persons}}
      - identifier: HR_Org
        properties:
          - {{identifier: Code}}
          - {{identifier: Name}}
    mappings:
      - entity_type: HR_Person
        connection: People
        key: EmployeeId
        columns: {{EmployeeId: EmployeeId, FirstName: FirstName, LastName: LastName,
                  StartDate: StartDate}}
      - entity_type: HR_Org
        connection: Orgs
        key: Code
        columns: {{Code: Code, Name: Name}}
    associations:
      - {{navigation: HR_Person.Manager, connection: People, column: ManagerId}}
      - {{navigation: HR_Person.Organization, connection: People, column: OrgCode}}
"""
PEOPLE_HEADER = ["EmployeeId", "FirstName", "LastName", "StartDate", "ManagerId", "OrgCode"]
Person = Sequence[str]


class HRProject:
    def __init__(self, folder: Path, url: str, encoding: str = "utf-8", separator: str = ",",
                 thresholds: dict[str, Any] | None = None) -> None:
        self.folder = folder
        self.encoding = encoding
        self.separator = separator
        (folder / "config").mkdir(parents=True, exist_ok=True)
        (folder / "data").mkdir(exist_ok=True)
        (folder / "config" / "hr.yaml").write_text(CONFIG.format(
            THRESHOLDS=json.dumps(thresholds or {}), ENCODING=encoding, SEPARATOR=separator),
            encoding="utf-8")
        self.ctx = ProjectContext.open(folder, url)
        with self.ctx.engine.begin() as conn:
            deployments.deploy(conn, load_project_config(folder))
        self.write_orgs([("O1", "Sales"), ("O2", "Research")])

    def close(self) -> None:
        self.ctx.close()

    def write_people(self, rows: Sequence[Person], name: str = "people.csv",
                     header: Sequence[str] = PEOPLE_HEADER, newline: str = "\n",
                     bom: bool = False) -> Path:
        sep = self.separator
        text = newline.join([sep.join(header), *(sep.join(r) for r in rows)]) + newline
        path = self.folder / "data" / name
        data = text.encode(self.encoding)
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
        return path

    def write_orgs(self, rows: Sequence[tuple[str, str]]) -> None:
        lines = ["Code,Name", *(f"{c},{n}" for c, n in rows)]
        (self.folder / "data" / "orgs.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def sync(self, **kwargs: Any) -> RunRecord:
        return synchronize(self.ctx, SyncRequest("HR", **kwargs))

    def state(self) -> dict[str, Any]:
        """Everything the repository holds for the connector, comparable between runs."""
        with self.ctx.engine.connect() as conn:
            res = sorted(conn.execute(sa.text(
                "SELECT entity_type, key, data, hash FROM resources")).all())
            lnk = sorted(conn.execute(sa.text(
                "SELECT r.key, l.navigation, l.target_key, t.key FROM links l "
                "JOIN resources r ON r.id = l.source_id "
                "LEFT JOIN resources t ON t.id = l.target_id")).all(), key=str)
        return {"resources": [tuple(r) for r in res], "links": [tuple(x) for x in lnk]}

    def values(self, entity_type: str, key: str) -> dict[str, Any] | None:
        with self.ctx.engine.connect() as conn:
            row = conn.execute(sa.text(
                "SELECT data FROM resources WHERE entity_type = :e AND key = :k"),
                {"e": entity_type, "k": key}).first()
        return None if row is None else dict(json.loads(row[0]))

    def manager_of(self, key: str) -> tuple[str, str | None] | None:
        with self.ctx.engine.connect() as conn:
            row = conn.execute(sa.text(
                "SELECT l.target_key, t.key FROM links l JOIN resources r ON r.id = l.source_id "
                "LEFT JOIN resources t ON t.id = l.target_id "
                "WHERE r.key = :k AND l.navigation = 'HR_Person.Manager'"), {"k": key}).first()
        return None if row is None else (row[0], row[1])


def people(n: int, start: int = 1) -> list[list[str]]:
    """n people; each manager is the person whose number is half theirs (E1 manages E2, E3)."""
    out = []
    for i in range(start, start + n):
        manager = f"E{i // 2}" if i > 1 else ""
        out.append([f"E{i}", f"First{i}", f"Last{i}", "01/02/2020", manager, "O1"])
    return out


@contextmanager
def hr_project(folder: Path, url: str, **kwargs: Any) -> Iterator[HRProject]:
    project = HRProject(folder, url, **kwargs)
    try:
        yield project
    finally:
        project.close()
