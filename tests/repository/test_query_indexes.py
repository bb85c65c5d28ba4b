"""The values query rules match are indexed by each deployment (repository/query_indexes.py), and
a scoped run's lookup of them is served by that index: a date evaluation finds the managers of
the few people due without reading every identity's data."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from headcount.config.loader import load_project_config
from headcount.config.model import Project
from headcount.policy.graph import Graph
from headcount.policy.population import matches
from headcount.project import ProjectContext
from headcount.repository import query_indexes
from headcount.repository.migrate import downgrade, upgrade
from webproject import make_project

EMPLOYEE_ID = ("Directory_User", "EmployeeId")


def _sample(tmp_path: Path, url: str) -> tuple[ProjectContext, Project]:
    folder = make_project(tmp_path / "hr", url, people=200)
    return ProjectContext.open(folder, url), load_project_config(folder)


def _without_queries(project: Project) -> Project:
    return project.model_copy(update={"resource_types": [
        rt.model_copy(update={"queries": []}) for rt in project.resource_types]})


def test_a_deployment_indexes_what_its_query_rules_match(tmp_path: Path, db_url: str) -> None:
    ctx, project = _sample(tmp_path, db_url)
    try:
        wanted = query_indexes.wanted(project)
        assert EMPLOYEE_ID in wanted.values()
        with ctx.engine.begin() as conn:
            assert query_indexes.existing(conn) == set(wanted)
            # A configuration without the rules drops them; deploying the rules again makes them.
            query_indexes.ensure(conn, _without_queries(project))
            assert query_indexes.existing(conn) == set()
            query_indexes.ensure(conn, project)
            assert query_indexes.existing(conn) == set(wanted)
    finally:
        ctx.close()


def test_a_database_migrated_past_0033_gets_the_deployed_indexes(tmp_path: Path,
                                                                  db_url: str) -> None:
    ctx, project = _sample(tmp_path, db_url)
    try:
        downgrade(ctx.engine, "0032")
        with ctx.engine.connect() as conn:
            assert query_indexes.existing(conn) == set()
        upgrade(ctx.engine)
        with ctx.engine.connect() as conn:
            assert query_indexes.existing(conn) == set(query_indexes.wanted(project))
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
    finally:
        ctx.close()
