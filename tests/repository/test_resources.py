"""Reading resources by their values: one JSON accessor for searches, sorts, the data model scan
and the deployment's data-at-risk check, alike on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from headcount.repository.resources import json_value, search
from headcount.repository.schema import resources
from hrproject import hr_project, people


def test_a_property_reads_the_same_in_both_dialects(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(3))
        hr.sync()
        with hr.ctx.engine.connect() as conn:
            name = conn.dialect.name
            read = dict(conn.execute(sa.select(
                resources.c.key, json_value(resources.c.data, "FirstName", name))
                .where(resources.c.entity_type == "HR_Person")).all())
            absent = conn.execute(sa.select(json_value(resources.c.data, "Nothing", name))
                                  .select_from(resources).limit(1)).scalar()
            found = search(conn, "HR_Person", filters={"FirstName": "First2"})
            ordered = search(conn, "HR_Person", sort="FirstName", descending=True)
    assert read == {"E1": "First1", "E2": "First2", "E3": "First3"}
    assert absent is None
    assert [key for key, _ in found.rows] == ["E2"]
    assert [key for key, _ in ordered.rows] == ["E3", "E2", "E1"]
