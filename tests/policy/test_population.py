"""What a scoped run reads of a whole population as columns (policy/population.py) is what the
resources hold, on SQLite and PostgreSQL alike: a login with a quote, an accent, a JSON null, a
number and a boolean."""

from __future__ import annotations

import json
import sqlite3

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from headcount.policy.population import column, held_values, numbered_range
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


_TEXT = st.text(alphabet=st.sampled_from(["a", "b", "0", "9", "/", ":", "é", "٣", "\U0010ffff",
                                          "\x00"]), max_size=4)


@given(st.lists(_TEXT, max_size=20), _TEXT)
def test_a_range_holds_the_names_followed_by_a_digit(texts: list[str], name: str) -> None:
    """`numbered_range` selects the texts that are `name` followed by an ASCII digit (a
    homonym's numbered forms), and no other, in code point order (SQLite's; PostgreSQL's in
    the C collation, which test_scope_collation checks)."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (v TEXT)")
    db.executemany("INSERT INTO t VALUES (?)", [(t,) for t in texts])
    sql, params = numbered_range("v", name)
    found = [v for (v,) in db.execute(f"SELECT v FROM t WHERE {sql}", params)]
    assert sorted(found) == sorted(t for t in texts if t.startswith(name)
                                   and t[len(name):len(name) + 1] in set("0123456789"))
