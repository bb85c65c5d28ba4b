"""A scoped run's questions on unique values, answered by the database (the deployment's index
on a unique rule's values, the table of values issued: policy.evaluation._Probe), issue exactly
what reading every held value issues — on SQLite and PostgreSQL, for values that meet: names in
any case, with prefixes and suffixes, numbered, with other letters (`ß`, `K`, `İ`), numbers,
booleans, JSON nulls, lists."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, cast

import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from headcount.fulfillment.direct import Used
from headcount.policy.evaluation import _Probe
from headcount.policy.population import held_values
from headcount.policy.unique import UniqueValues
from headcount.repository import query_indexes
from headcount.repository.database import create_engine
from headcount.repository.migrate import upgrade
from headcount.repository.schema import resources, used_values
from uniquevalues import AFFIXES, CANDIDATE, HELD

ET, PROP = "Directory_UserRecord", "Login"
# Near misses, often: a few names, prefixed, numbered, in some case (homonyms' numbered forms).
CLOSE = st.builds(lambda p, n, x, up: (p + n + x).upper() if up else p + n + x,
                  st.sampled_from(["", "", "x-"]), st.sampled_from(["jd", "jd2", "jd3", "Kim"]),
                  st.sampled_from(["", "", "@a"]), st.booleans())
STORED = st.one_of(CLOSE, CLOSE, HELD, st.none(), st.just([1]), st.just({"a": 1}),
                   st.just(1e20))
# Numbers as texts: a held 1e20 is `1e+20` to the whole read, as JSON writes it.
ASKED = st.one_of(st.sampled_from(["jd", "Kim"]), CANDIDATE,
                  st.sampled_from(["1e+20", "100000000000000000000", "1.5", "1"]))


def test_the_databases_answers_issue_what_the_whole_read_issues(db_url: str) -> None:
    engine = create_engine(db_url)
    upgrade(engine)
    with engine.begin() as conn:
        query_indexes.create(conn, query_indexes.Indexed(ET, PROP, "unique"))

    @settings(max_examples=150, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(held=st.lists(STORED, max_size=25), used=st.lists(CANDIDATE, max_size=6),
           prefixes=AFFIXES[0], suffixes=AFFIXES[1],
           requests=st.lists(st.tuples(st.lists(ASKED, min_size=1, max_size=2),
                                       st.sampled_from(["", "x-"]), st.sampled_from(["", "@a"]),
                                       st.one_of(st.none(), ASKED)), max_size=12))
    # A homonym's numbered forms, bare and behind the rule's prefix; a core behind a prefix
    # or a suffix; a number's text.
    @example(held=["jd", "jd2"], used=[], prefixes=[], suffixes=[],
             requests=[(["jd"], "", "", None)])
    @example(held=["JD", "x-JD2", "jd3@a"], used=["jd4"], prefixes=["x-"], suffixes=["@a"],
             requests=[(["jd"], "", "", None), (["Jd"], "x-", "", None)])
    @example(held=["x-JD", "kim-ext"], used=[], prefixes=["x-"], suffixes=["-ext"],
             requests=[(["jd"], "", "", None), (["Kim"], "", "", None)])
    @example(held=[1e20], used=[], prefixes=[], suffixes=[], requests=[(["1e+20"], "", "", None)])
    def issued_alike(held: list[Any], used: list[str], prefixes: list[str],
                     suffixes: list[str], requests: list[tuple[list[str], str, str, str | None]]
                     ) -> None:
        with engine.begin() as conn:
            conn.execute(sa.delete(resources))
            conn.execute(sa.delete(used_values))
            if held:
                # (A record without the property at all, beside one whose value is null.)
                conn.execute(sa.insert(resources), [
                    {"entity_type": ET, "key": f"k{n}", "hash": 0,
                     "data": json.dumps({} if v is None and n % 2 else {PROP: v})}
                    for n, v in enumerate(held)])
            folded = sorted({u.casefold() for u in used})
            if folded:
                conn.execute(sa.insert(used_values), [
                    {"resource_type": "R", "property": PROP, "value": v} for v in folded])
        with engine.connect() as conn:
            texts, others = held_values(conn, ET, PROP)
            whole = UniqueValues(others, folded, ["root"], prefixes, suffixes, held_texts=texts,
                                 used_folded=True)
            setup = cast(Any, SimpleNamespace(conn=conn, target_type=ET))
            rt = cast(Any, SimpleNamespace(identifier="R"))
            probed = UniqueValues((), (), ["root"], prefixes, suffixes,
                                  probe=_Probe(setup, rt, PROP, Used(conn)))
            for candidates, prefix, suffix, current in requests:
                assert probed.allocate(candidates, prefix, suffix, current) == \
                    whole.allocate(candidates, prefix, suffix, current)

    try:
        issued_alike()
    finally:
        engine.dispose()
