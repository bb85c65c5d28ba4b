"""The test infrastructure itself: every test gets a working, empty, private database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = sa.create_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


def test_select_one(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.execute(sa.text("select 1")).scalar_one() == 1


@pytest.mark.parametrize("attempt", [1, 2])
def test_each_test_gets_an_empty_database(engine: Engine, attempt: int) -> None:
    # Runs twice per back-end: the second run would see the first run's table if the
    # database were shared.
    assert sa.inspect(engine).get_table_names() == []
    metadata = sa.MetaData()
    probe = sa.Table(
        "probe",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("attempt", sa.Integer, nullable=False),
    )
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(probe.insert().values(attempt=attempt))
    with engine.connect() as connection:
        assert connection.execute(sa.select(probe.c.attempt)).scalars().all() == [attempt]
    assert sa.inspect(engine).get_table_names() == ["probe"]


def test_url_names_a_private_database(db_url: str) -> None:
    url = sa.make_url(db_url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        assert url.database.endswith("headcount.db")
    else:
        assert url.database is not None
        assert url.database.startswith("hc_")
        assert url.database != "headcount_test"


def test_sqlite_url(sqlite_url: str) -> None:
    assert sa.make_url(sqlite_url).get_backend_name() == "sqlite"
    engine = sa.create_engine(sqlite_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("create table t (x integer)"))
            connection.execute(sa.text("insert into t values (42)"))
            assert connection.execute(sa.text("select x from t")).scalar_one() == 42
    finally:
        engine.dispose()
