"""The names table follows every write (insert, update, delete, re-key) and every change of a
display template; names.py reads it, and falls back to the values for a resource without a row."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from headcount.config.loader import load_project_config
from headcount.repository import deployments, migrate
from headcount.repository.names import display_names, display_names_by_id
from headcount.repository.schema import resource_names, resources
from headcount.repository.search import search
from hrproject import HRProject, hr_project, people

# Every run of three people changes more than the default 5 %.
GENEROUS = {"max_inserted_pct": 100, "max_updated_pct": 100, "max_deleted_pct": 100,
            "max_links_inserted_pct": 100, "max_links_deleted_pct": 100}


def _table(hr: HRProject) -> dict[str, tuple[str, str]]:
    """key → (display, terms) of every HR_Person row of the names table."""
    with hr.ctx.engine.connect() as conn:
        rows = conn.execute(sa.select(resources.c.key, resource_names.c.display,
                                      resource_names.c.terms)
                            .join(resource_names, resource_names.c.resource_id == resources.c.id)
                            .where(resources.c.entity_type == "HR_Person")).all()
    return {key: (display, terms) for key, display, terms in rows}


def _found(hr: HRProject, query: str) -> list[str]:
    with hr.ctx.engine.connect() as conn:
        groups = search(conn, hr.ctx.deployed()[1], query)
    return [hit.key for group in groups for hit in group.hits]


def test_names_follow_inserts_updates_deletes_and_re_keys(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url, thresholds=GENEROUS) as hr:
        rows = people(3)
        rows[1][1:3] = ["José", "Schneider"]
        hr.write_people(rows)
        hr.sync()
        table = _table(hr)
        assert table["E2"][0] == "Schneider José"
        assert table["E2"][1].startswith(" schneider jose \x1f e2 ")
        assert set(table) == {"E1", "E2", "E3"}
        assert _found(hr, "jose schneider") == ["E2"]

        rows[1][2] = "Schneider-Müller"  # update
        hr.write_people(rows)
        hr.sync(mode="complete")
        assert _table(hr)["E2"][0] == "Schneider-Müller José"
        assert _found(hr, "muller jose") == ["E2"]
        assert _found(hr, "schneider-muller") == ["E2"]

        # Re-keyed: the same person under a new key, in one run.
        hr.write_people([rows[0], ["E20", "José", "Schneider-Müller", "01/02/2020", "E1", "O1"],
                         rows[2]])
        assert hr.sync(mode="complete").state == "succeeded"
        table = _table(hr)
        assert set(table) == {"E1", "E20", "E3"}
        assert table["E20"][0] == "Schneider-Müller José"
        assert _found(hr, "jose") == ["E20"]
        with hr.ctx.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(resource_names)
                                .where(resource_names.c.entity_type == "HR_Person")
                                ).scalar_one() == 3


def test_a_changed_display_template_renames_its_type(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(2))
        hr.sync()
        config = tmp_path / "config" / "hr.yaml"
        config.write_text(config.read_text(encoding="utf-8").replace(
            '"{LastName} {FirstName}"', '"{FirstName} {LastName} ({EmployeeId})"'),
            encoding="utf-8")
        with hr.ctx.engine.begin() as conn:
            deployments.deploy(conn, load_project_config(tmp_path))
        assert _table(hr)["E2"][0] == "First2 Last2 (E2)"
        project = hr.ctx.deployed()[1]
        with hr.ctx.engine.connect() as conn:
            assert display_names(conn, project, [("HR_Person", "E1"), ("HR_Person", "E9"),
                                                 ("HR_Org", "O1")]) == {
                ("HR_Person", "E1"): "First1 Last1 (E1)", ("HR_Org", "O1"): "O1"}
            by_id = display_names_by_id(conn, project, [resources_id(conn, "E2")])
        assert list(by_id.values()) == [("HR_Person", "E2", "First2 Last2 (E2)")]


def resources_id(conn: sa.Connection, key: str) -> int:
    return int(conn.execute(sa.select(resources.c.id).where(resources.c.key == key)).scalar_one())


def test_a_resource_without_a_row_is_named_from_its_values(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(2))
        hr.sync()
        with hr.ctx.engine.begin() as conn:
            conn.execute(sa.delete(resource_names))
        project = hr.ctx.deployed()[1]
        with hr.ctx.engine.connect() as conn:
            assert display_names(conn, project, [("HR_Person", "E1")]) == {
                ("HR_Person", "E1"): "Last1 First1"}
            assert list(display_names_by_id(conn, project, [resources_id(conn, "E2")])
                        .values()) == [("HR_Person", "E2", "Last2 First2")]


def test_an_existing_database_is_filled_when_it_gains_the_table(tmp_path: Path,
                                                                db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(3))
        hr.sync()
        # As a database of the revision before: no names table yet.
        migrate.downgrade(hr.ctx.engine, "0021")
        with hr.ctx.engine.connect() as conn:
            assert "resource_names" not in sa.inspect(conn).get_table_names()
        migrate.upgrade(hr.ctx.engine)
        assert {key: name for key, (name, _) in _table(hr).items()} == {
            "E1": "Last1 First1", "E2": "Last2 First2", "E3": "Last3 First3"}
        assert _found(hr, "first3") == ["E3"]
