"""What a scoped run reads of a whole population as columns (policy/population.py) is what the
resources hold, on SQLite and PostgreSQL alike: a login with a quote, an accent, a JSON null, a
number and a boolean."""

from __future__ import annotations

import json

import sqlalchemy as sa

from headcount.policy.population import column, held_values
from headcount.repository.database import create_engine
from headcount.repository.migrate import upgrade
from headcount.repository.schema import resources

VALUES = ["x-ab", 'a"b', None, "missing", 12, True, "é", "back\\slash", "", 1.5]


def test_held_values_are_the_values_the_resources_hold(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(sa.insert(resources), [
                {"entity_type": "T", "key": f"k{i}", "hash": 0, "created_run": 1,
                 "updated_run": 1, "data": json.dumps({} if v == "missing" else {"L": v})}
                for i, v in enumerate(VALUES)])
            texts, others = held_values(conn, "T", "L")
            held = [v for _, v in column(conn, "T", "L") if v is not None]
    finally:
        engine.dispose()
    assert sorted(texts.to_list()) == sorted(v for v in held if isinstance(v, str))
    assert sorted(map(repr, others)) == sorted(repr(v) for v in held if not isinstance(v, str))
    assert sorted(texts.to_list()) == sorted(["x-ab", 'a"b', "é", "back\\slash", ""])
