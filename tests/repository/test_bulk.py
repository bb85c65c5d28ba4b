"""Bulk writes (repository.bulk): ids reserved never taken by a later insert, frames written
as they are (constant columns, nulls, awkward text), indexes built after a load into an empty
table, on SQLite and PostgreSQL."""

from __future__ import annotations

import polars as pl
import pytest
import sqlalchemy as sa

from headcount.repository.bulk import (
    DEFERRED_INDEX_ROWS,
    indexes_deferred,
    insert_frame,
    reserve_ids,
)
from headcount.repository.database import begin_write, create_engine


def test_reserved_ids_are_new_and_a_later_insert_takes_none_of_them(db_url: str) -> None:
    engine = create_engine(db_url)
    table = sa.Table("things", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("name", sa.Text))
    try:
        table.metadata.create_all(engine)
        with begin_write(engine) as conn:
            conn.execute(sa.insert(table), [{"name": "first"}])
            ids = reserve_ids(conn, table, 3)
            assert len(set(ids)) == 3
            conn.execute(sa.insert(table), [{"id": i, "name": f"bulk {i}"} for i in ids])
            later = conn.execute(sa.insert(table).values(name="later")).inserted_primary_key
            assert later is not None
            assert later[0] not in ids
            assert reserve_ids(conn, table, 0) == []
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 5
    finally:
        engine.dispose()


def _things() -> sa.Table:
    return sa.Table("things", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("kind", sa.Text), sa.Column("name", sa.Text),
                    sa.Column("run", sa.Integer), sa.Column("note", sa.Text),
                    sa.Index("ix_things_name", "name"), sa.Index("ix_things_run", "run", "id"))


def _read(engine: sa.Engine, table: sa.Table) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(table).order_by(table.c.id))]


@pytest.mark.parametrize("height", [1, 2, 5])
def test_a_frame_is_written_as_it_is_constant_columns_nulls_and_awkward_text_alike(
        db_url: str, height: int) -> None:
    engine = create_engine(db_url)
    table = _things()
    names = ["", None, "O'Brien, \"Jo\"", "line\nbreak", "\\.", "Zoé"]
    frame = pl.DataFrame({
        "id": list(range(1, height + 1)), "kind": ["insert"] * height,
        "name": names[:height], "run": [7] * height, "note": [None] * height,
    }, schema={"id": pl.Int64, "kind": pl.String, "name": pl.String, "run": pl.Int32,
               "note": pl.String})
    try:
        table.metadata.create_all(engine)
        with begin_write(engine) as conn:
            insert_frame(conn, "things", frame)
            insert_frame(conn, "things", frame.clear())
        assert _read(engine, table) == list(frame.iter_rows())
    finally:
        engine.dispose()


def _index_sql(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return [str(s) for s in conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'things' "
            "AND sql IS NOT NULL ORDER BY name").scalars()]


def test_indexes_deferred_for_a_bulk_insert_into_an_empty_table_are_there_after_it(
        sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    table = _things()
    rows = DEFERRED_INDEX_ROWS
    frame = pl.DataFrame({"id": range(1, rows + 1), "kind": ["insert"] * rows,
                          "name": [f"n{i % 997}" for i in range(rows)], "run": [3] * rows,
                          "note": [None] * rows}, schema_overrides={"note": pl.String})
    try:
        table.metadata.create_all(engine)
        before = _index_sql(engine)
        assert len(before) == 2
        with begin_write(engine) as conn, indexes_deferred(conn, "things", rows):
            assert _index_sql_in(conn) == []
            insert_frame(conn, "things", frame)
        assert _index_sql(engine) == before
        with engine.connect() as conn:
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT id FROM things WHERE name = 'n5'").all()
            assert "ix_things_name" in str(plan)
            assert conn.exec_driver_sql(
                "SELECT count(*) FROM things WHERE name = 'n5'").scalar_one() == len(
                range(5, rows, 997))
        # A rolled-back load leaves the indexes as they were.
        with pytest.raises(RuntimeError):
            _load_then_fail(engine, rows)
        assert _index_sql(engine) == before
        assert len(_read(engine, table)) == rows
    finally:
        engine.dispose()


def test_indexes_stay_for_a_table_holding_rows_or_a_small_insert(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    table = _things()
    try:
        table.metadata.create_all(engine)
        with begin_write(engine) as conn:
            with indexes_deferred(conn, "things", 10):
                assert len(_index_sql_in(conn)) == 2
            conn.execute(sa.insert(table).values(id=1, name="x"))
            with indexes_deferred(conn, "things", DEFERRED_INDEX_ROWS):
                assert len(_index_sql_in(conn)) == 2
    finally:
        engine.dispose()


def _index_sql_in(conn: sa.Connection) -> list[str]:
    return [str(s) for s in conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'things' "
        "AND sql IS NOT NULL").scalars()]


def _load_then_fail(engine: sa.Engine, rows: int) -> None:
    with begin_write(engine) as conn:
        conn.exec_driver_sql("DELETE FROM things")
        with indexes_deferred(conn, "things", rows):
            raise RuntimeError("killed mid-load")
