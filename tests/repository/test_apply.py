"""Applying a run's changes: a run applied at once keeps an inserted record once (in its
resource), and nothing that reads the history loses it when the resource later changes or goes —
the change list, the resource's history, provenance — alike on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from headcount.repository.changelist import change_page
from headcount.repository.provenance import last_changes
from headcount.repository.resources import get_resource
from headcount.repository.schema import changes, inserted_records
from hrproject import hr_project, people


def _records_left_to_resources(conn: sa.Connection, run_id: int) -> set[str]:
    return set(conn.execute(sa.select(changes.c.resource_key).where(
        changes.c.run_id == run_id, changes.c.kind == "insert",
        changes.c.entity_type == "HR_Person", changes.c.data.is_(None))).scalars())


def _copied_aside(conn: sa.Connection) -> list[str]:
    return sorted(conn.execute(sa.select(changes.c.resource_key).join(
        inserted_records, inserted_records.c.change_id == changes.c.id)
        .where(changes.c.entity_type == "HR_Person")).scalars())


def test_an_insert_keeps_its_record_once_the_resource_changes_or_goes(tmp_path: Path,
                                                                       db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(3))
        first = hr.sync()
        inserted = {key: hr.values("HR_Person", key) for key in ("E1", "E2", "E3")}
        with hr.ctx.engine.connect() as conn:
            assert _records_left_to_resources(conn, first.id) == {"E1", "E2", "E3"}
        changed = people(2)
        changed[1][1] = "Renamed"
        hr.write_people(changed)  # E2 renamed, E3 gone
        second = hr.sync(force=True, reason="a test deletes a third of the people")
        assert (second.counters["updated"], second.counters["deleted"]) == (1, 1)
        with hr.ctx.engine.connect() as conn:
            # The update and the delete copied aside the records they replaced.
            assert _copied_aside(conn) == ["E2", "E3"]
        changed[0][1] = "Again"
        changed[1][1] = "Renamed again"
        hr.write_people(changed)
        third = hr.sync(force=True, reason="a test renames everyone")
        with hr.ctx.engine.connect() as conn:
            assert _copied_aside(conn) == ["E1", "E2", "E3"]  # E2's once
            _, listed = change_page(conn, first.id, "insert", 100, 0)
            history = get_resource(conn, "HR_Person", "E2").history
            origins = last_changes(conn, [("HR_Person", "E2")])[("HR_Person", "E2")]
    assert {c.key: json.loads(c.data or "null") for c in listed
            if c.entity_type == "HR_Person"} == inserted
    assert [(h.run_id, h.kind) for h in history if h.data is not None] == [
        (first.id, "insert"), (second.id, "update"), (third.id, "update")]
    assert json.loads(history[0].data or "null") == inserted["E2"]
    assert (origins["FirstName"].run_id, origins["LastName"].run_id) == (third.id, first.id)


def test_a_run_after_a_bulk_load_plans_with_the_change_lists_statistics(
        tmp_path: Path, postgres_url: str) -> None:
    """Right after a first load wrote its change list, PostgreSQL still believed `changes`
    nearly empty: copying aside the records a next run replaces walked the whole list for each
    key (26 s of a next day at 100,000 people). The run analyses it before that join."""
    with hr_project(tmp_path, postgres_url) as hr:
        hr.write_people(people(12_000))
        hr.sync()
        changed = people(12_000)
        changed[0][1] = "Renamed"
        hr.write_people(changed)
        assert hr.sync().counters["updated"] == 1
        with hr.ctx.engine.connect() as conn:
            analysed = conn.exec_driver_sql(
                "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'changes' "
                "AND schemaname = current_schema()").scalar_one()
            assert analysed is not None
            assert _copied_aside(conn) == ["E1"]
