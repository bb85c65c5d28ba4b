"""A person's records are found by their keys' prefix (policy/scope.family_keys), and a
homonym's numbered logins by theirs (policy.population.held_numbered, the values issued): in byte
order, also in a PostgreSQL database whose collation orders text otherwise (ICU's en-US, and
one that ignores punctuation, where `E8-…` sorted outside the range `E8-`…`E8.`)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.engine import make_url

from headcount.fulfillment.direct import used
from headcount.policy.population import held_numbered
from headcount.policy.scope import family_keys
from headcount.repository import query_indexes
from headcount.repository.database import create_engine
from headcount.repository.migrate import upgrade
from headcount.repository.schema import resources, used_values
from servers import unavailable

LOGIN = ("Directory_UserRecord", "Login")
LOGINS = ["jd-", "JD-2", "jd-10", "jd", "jd.", "jd_1", "jd1-2", "jc-3", "jd-:", "jd-/1"]
KEYS = ["E8", "E8-20261215", "E8-20261215-2", "E80", "E8.", "E8_1", "E81-20261215", "E7-20261215"]


@pytest.mark.parametrize("locale", ["C", "en-US", "en-US-u-ka-shifted"])
def test_the_records_of_a_person_whatever_the_database_collation(postgres_server: Any,
                                                                 locale: str) -> None:
    admin = postgres_server.connection
    if admin is None:
        unavailable("PostgreSQL", postgres_server.error or "unknown error")
    if locale != "C" and admin.info.server_version < 150000:
        pytest.skip("a database's ICU collation is PostgreSQL 15's")
    name = f"hc_{uuid.uuid4().hex[:12]}"
    icu = sql.SQL(" LOCALE_PROVIDER icu ICU_LOCALE {} LOCALE 'C'").format(sql.Literal(locale))
    admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name))
                  + (icu if locale != "C" else sql.SQL("")))
    url = make_url(postgres_server.url).set(database=name)
    engine = create_engine(url.render_as_string(hide_password=False))
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(sa.insert(resources), [
                {"entity_type": "Directory_UserRecord", "key": k, "data": "{}", "hash": 0,
                 "created_run": 1, "updated_run": 1} for k in KEYS])
            assert family_keys(conn, "Directory_UserRecord", ["E8-20261215"]) == {
                "E8", "E8-20261215", "E8-20261215-2"}
            query_indexes.create(conn, query_indexes.Indexed(*LOGIN, "unique"))
            conn.execute(sa.insert(resources), [
                {"entity_type": LOGIN[0], "key": f"L{n}", "data": json.dumps({LOGIN[1]: v}),
                 "hash": 0, "created_run": 1, "updated_run": 1} for n, v in enumerate(LOGINS)])
            conn.execute(sa.insert(used_values), [
                {"resource_type": "R", "property": LOGIN[1], "value": v.lower()}
                for v in LOGINS])
            assert sorted(held_numbered(conn, *LOGIN, ["jd-"])) == ["jd-10", "jd-2"]
            assert sorted(used(conn).matching_numbered(("R", LOGIN[1]), "jd-")) == [
                "jd-10", "jd-2"]
            assert used(conn).matching(("R", LOGIN[1]), ["jd-", "JD-", "jd-:", "zz"]) == {
                "jd-", "jd-:"}
    finally:
        engine.dispose()
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                      .format(sql.Identifier(name)))
