"""The values query rules match are indexed by each deployment (repository/query_indexes.py), and
a scoped run's lookup of them is served by that index: a date evaluation finds the managers of
the few people due without reading every identity's data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from headcount.config.loader import load_project_config
from headcount.config.model import Project
from headcount.policy.graph import Graph
from headcount.policy.population import held_folded, held_numbered, matches
from headcount.project import ProjectContext
from headcount.repository import query_indexes
from headcount.repository.migrate import downgrade, upgrade
from headcount.repository.schema import resources
from webproject import make_project

EMPLOYEE_ID = ("Directory_User", "EmployeeId")
LOGIN = ("Directory_UserRecord", "Login")


def _sample(tmp_path: Path, url: str) -> tuple[ProjectContext, Project]:
    folder = make_project(tmp_path / "hr", url, people=200)
    return ProjectContext.open(folder, url), load_project_config(folder)


def _without_queries(project: Project) -> Project:
    """Without query rules, and without unique rules."""
    return project.model_copy(update={"resource_types": [
        rt.model_copy(update={"queries": [], "scalars": [
            r.model_copy(update={"unique": False}) for r in rt.scalars]})
        for rt in project.resource_types]})


def test_a_deployment_indexes_what_its_query_rules_match(tmp_path: Path, db_url: str) -> None:
    ctx, project = _sample(tmp_path, db_url)
    try:
        wanted = query_indexes.wanted(project)
        assert (*EMPLOYEE_ID, "match") in wanted.values()
        assert (*LOGIN, "unique") in wanted.values()
        with ctx.engine.begin() as conn:
            assert query_indexes.existing(conn) == set(wanted)
            # A configuration without the rules drops them; deploying the rules again makes them.
            query_indexes.ensure(conn, _without_queries(project))
            assert query_indexes.existing(conn) == set()
            query_indexes.ensure(conn, project)
            assert query_indexes.existing(conn) == set(wanted)
    finally:
        ctx.close()


@pytest.mark.parametrize("down", ["0032", "0034"])
def test_a_database_migrated_past_0033_gets_the_deployed_indexes(tmp_path: Path, db_url: str,
                                                                  down: str) -> None:
    ctx, project = _sample(tmp_path, db_url)
    wanted = query_indexes.wanted(project)
    try:
        downgrade(ctx.engine, down)
        with ctx.engine.connect() as conn:
            # Before 0035, the query rules' only; before 0033, none.
            assert query_indexes.existing(conn) == {
                name for name, indexed in wanted.items()
                if down == "0034" and indexed.kind == "match"}
        upgrade(ctx.engine)
        with ctx.engine.connect() as conn:
            assert query_indexes.existing(conn) == set(wanted)
    finally:
        ctx.close()


# Values a login may hold: ASCII in any case, other letters (whose fold only Python knows),
# numbers, booleans, a JSON null, escapes.
_ODD = ["JDupont", "x-JDUPONT", "jdupont", "Élodie", "straße", "İpek", "ǅemal", 12, 1.5, True,
        False, None, "", 'a"b', "a\\b", "tab\tx"]


def test_a_unique_rules_values_are_found_by_their_fold(tmp_path: Path, db_url: str) -> None:
    """The index answers as its contract says (query_indexes.unique_text): an ASCII text is
    found by its lowercase, or by how it begins, and any other value under UNUSUAL."""
    ctx, _ = _sample(tmp_path, db_url)
    try:
        with ctx.engine.begin() as conn:
            conn.execute(resources.insert(), [
                {"entity_type": LOGIN[0], "key": f"zz-{n}", "data": json.dumps({LOGIN[1]: v}),
                 "hash": 0} for n, v in enumerate(_ODD)])
            stored = [json.loads(d).get(LOGIN[1]) for (d,) in conn.execute(
                sa.select(resources.c.data).where(resources.c.entity_type == LOGIN[0]))]
            for asked in (["jdupont", "x-jdupont", 'a"b', "a\\b", "12", "true"],
                          [query_indexes.UNUSUAL], ["élodie", "strasse"]):
                found = held_folded(conn, *LOGIN, asked)
                want = [v for v in stored if v is not None and (
                    v.lower() in asked if isinstance(v, str) and v.isascii()
                    else query_indexes.UNUSUAL in asked)]
                assert sorted(map(repr, found)) == sorted(map(repr, want)), asked
            # A homonym's numbered forms: the folds of the ASCII texts that are the name and a
            # digit.
            conn.execute(resources.insert(), [
                {"entity_type": LOGIN[0], "key": f"zz-n{n}", "data": json.dumps({LOGIN[1]: v}),
                 "hash": 0} for n, v in enumerate(["JDupont2", "jdupont17", "x-JDupont3"])])
            stored += ["JDupont2", "jdupont17", "x-JDupont3"]
            for names in (["jdupont"], ["x-jdupont", "a"], ["élodie"], [""]):
                found = held_numbered(conn, *LOGIN, names)
                want = [v.lower() for v in stored if isinstance(v, str) and v.isascii() and any(
                    re.match(re.escape(n) + "[0-9]", v.lower()) for n in names)]
                assert sorted(found) == sorted(want), names
    finally:
        ctx.close()


def test_the_lookup_of_a_query_rules_values_uses_the_index(tmp_path: Path) -> None:
    ctx, project = _sample(tmp_path, f"sqlite:///{tmp_path}/h.db")
    try:
        with ctx.engine.begin() as conn:
            some = [str(v) for (v,) in conn.execute(sa.text(
                "SELECT data ->> '$.EmployeeId' FROM resources WHERE entity_type = "
                "'Directory_User' ORDER BY key LIMIT 3"))]
            statements: list[str] = []
            dbapi = conn.connection.driver_connection
            assert dbapi is not None
            dbapi.set_trace_callback(statements.append)
            found = matches(Graph(scoped=True, conn=conn), project, *EMPLOYEE_ID, set(some))
            dbapi.set_trace_callback(None)
            assert found is not None
            assert sorted(str(v) for _, v in found) == sorted(some)
            lookup = next(s for s in statements if "hc_scope_match t" in s)
            conn.exec_driver_sql("CREATE TEMP TABLE hc_scope_match (v TEXT)")  # (dropped)
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + lookup))
            assert "USING INDEX ix_query_" in plan, plan
            # A unique rule's values too (a scoped run's joiners' logins).
            statements.clear()
            dbapi.set_trace_callback(statements.append)
            held_folded(conn, *LOGIN, ["jdupont", query_indexes.UNUSUAL])
            dbapi.set_trace_callback(None)
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statements[-1]))
            assert f"USING INDEX {query_indexes.unique_index(*LOGIN)}" in plan, plan
    finally:
        ctx.close()
