"""Ids reserved for bulk inserts (repository.bulk): never one a later insert takes, on SQLite
and PostgreSQL (where they come from the column's sequence)."""

from __future__ import annotations

import sqlalchemy as sa

from headcount.repository.bulk import reserve_ids
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
