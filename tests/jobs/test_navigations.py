"""Navigation properties (SPEC §4.3): multi-valued columns, association files, flip sides, and
per-entity-type thresholds."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from headcount.config.loader import load_project_config
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import deployments
from headcount.repository import runs as R
from headcount.repository.resources import get_resource

CONFIG = """
connectors:
  - identifier: HR
    thresholds: {max_inserted_pct: 1000, max_links_inserted_pct: 1000,
                 max_links_deleted_pct: 1000, max_updated_pct: 1000, max_rows_drop_pct: 100}
    connections:
      - {identifier: People, path: people.csv, multivalue_separator: "|"}
      - {identifier: Roles, path: roles.csv}
      - {identifier: Skills, path: skills.csv}
    entity_types:
      - identifier: P
        properties:
          - {identifier: Key}
          - {identifier: Roles, type: navigation, target: Role, flip: Holders, multivalued: true}
          - {identifier: Skills, type: navigation, target: Skill, flip: People,
             multivalued: true}
      - identifier: Role
        properties: [{identifier: Code}]
      - identifier: Skill
        properties: [{identifier: Code}]
    mappings:
      - {entity_type: P, connection: People, key: Key, columns: {Key: Key}}
      - {entity_type: Role, connection: Roles, key: Code, columns: {Code: Code},
         thresholds: {max_deleted: 0}}
    associations:
      - {navigation: P.Roles, connection: People, column: Roles}
      - {navigation: P.Skills, connection: Skills, source_column: Person, target_column: Skill}
"""


def _setup(tmp_path: Path, url: str) -> ProjectContext:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "hr.yaml").write_text(CONFIG, encoding="utf-8")
    ctx = ProjectContext.open(tmp_path, url)
    with ctx.engine.begin() as conn:
        deployments.deploy(conn, load_project_config(tmp_path))
    return ctx


def _write(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")


def test_multivalued_column_association_file_and_flip_sides(tmp_path: Path,
                                                            db_url: str) -> None:
    ctx = _setup(tmp_path, db_url)
    try:
        _write(tmp_path, "people.csv", "Key,Roles\np1,r1|r2\np2, r2 |\np3,\n")
        _write(tmp_path, "roles.csv", "Code\nr1\nr2\n")
        _write(tmp_path, "skills.csv", "Person,Skill\np1,s1\np2,s1\np2,s1\n")
        run = synchronize(ctx, SyncRequest("HR"))
        assert run.state == R.WARNINGS  # s1 is no Skill resource: pending; a repeated pair
        # Three links resolved; the two to s1 were written pending, and counted apart.
        assert (run.counters["links_inserted"], run.counters["links_pending"]) == (3, 2)
        assert run.counters["unresolved"] == 2
        with ctx.engine.connect() as conn:
            p1 = get_resource(conn, "P", "p1")
            r2 = get_resource(conn, "Role", "r2")
        assert [k for _, k, _ in p1.links["Roles"]] == ["r1", "r2"]
        assert [k for _, k, _ in r2.reverse["P.Roles"]] == ["p1", "p2"]  # the flip side
        _write(tmp_path, "people.csv", "Key,Roles\np1,r2\np2,r2|r1\np3,\n")
        _write(tmp_path, "skills.csv", "Person,Skill\np2,s1\n")
        again = synchronize(ctx, SyncRequest("HR"))
        assert again.state == R.WARNINGS  # s1 still pending
        assert (again.counters["links_inserted"], again.counters["links_deleted"]) == (1, 2)
        with ctx.engine.connect() as conn:
            r1 = get_resource(conn, "Role", "r1")
            links = conn.execute(sa.text("SELECT count(*) FROM links")).scalar_one()
        assert [k for _, k, _ in r1.reverse["P.Roles"]] == ["p2"]
        assert links == 4
    finally:
        ctx.close()


def test_entity_type_thresholds_apply_besides_the_connectors(tmp_path: Path,
                                                             db_url: str) -> None:
    ctx = _setup(tmp_path, db_url)
    try:
        _write(tmp_path, "people.csv", "Key,Roles\np1,r1\n")
        _write(tmp_path, "roles.csv", "Code\nr1\nr2\n")
        _write(tmp_path, "skills.csv", "Person,Skill\n")
        synchronize(ctx, SyncRequest("HR"))
        _write(tmp_path, "roles.csv", "Code\nr1\nr2\nr3\nr4\nr5\nr6\nr7\nr8\nr9\n")
        synchronize(ctx, SyncRequest("HR"))
        _write(tmp_path, "roles.csv", "Code\nr1\nr2\nr3\nr4\nr5\nr6\nr7\nr8\n")
        run = synchronize(ctx, SyncRequest("HR"))
        assert run.state == R.BLOCKED
        assert "entity type Role: max_deleted = 0 exceeded (1)" in (run.message or "")
    finally:
        ctx.close()


def test_association_pairs_with_an_unknown_source_are_set_aside(tmp_path: Path,
                                                               db_url: str) -> None:
    ctx = _setup(tmp_path, db_url)
    try:
        _write(tmp_path, "people.csv", "Key,Roles\np1,r1\n")
        _write(tmp_path, "roles.csv", "Code\nr1\n")
        _write(tmp_path, "skills.csv", "Person,Skill\np1,s1\npX,s1\n")
        first = synchronize(ctx, SyncRequest("HR"))
        assert first.counters["links_inserted"] == 1  # p1→r1
        assert first.counters["links_pending"] == 1  # p1→s1: no Skill s1
        assert first.counters["set_aside"] == {"invalid": 1}
        again = synchronize(ctx, SyncRequest("HR"))
        assert (again.counters["links_inserted"], again.counters["links_deleted"]) == (0, 0)
    finally:
        ctx.close()


def test_a_mono_valued_column_is_never_split(tmp_path: Path, db_url: str) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "hr.yaml").write_text("""
connectors:
  - identifier: HR
    connections: [{identifier: People, path: people.csv, multivalue_separator: "-"}]
    entity_types:
      - identifier: P
        properties:
          - {identifier: Key}
          - {identifier: Org, type: navigation, target: O, flip: Members}
      - identifier: O
        properties: [{identifier: Code}]
    mappings: [{entity_type: P, connection: People, key: Key, columns: {Key: Key}}]
    associations: [{navigation: P.Org, connection: People, column: Org}]
""", encoding="utf-8")
    ctx = ProjectContext.open(tmp_path, db_url)
    try:
        with ctx.engine.begin() as conn:
            deployments.deploy(conn, load_project_config(tmp_path))
        _write(tmp_path, "people.csv", "Key,Org\np1,ORG-001\n")
        run = synchronize(ctx, SyncRequest("HR"))
        assert run.counters["links_pending"] == 1  # no O resource: one whole key, pending
        with ctx.engine.connect() as conn:
            assert [k for _, k, _ in get_resource(conn, "P", "p1").links["Org"]] == ["ORG-001"]
    finally:
        ctx.close()


def test_an_association_row_cut_in_its_source_key_fails_a_complete_run(
        tmp_path: Path, db_url: str) -> None:
    # A review found it: `p12,s1` cut to `p1` held `p1` and deleted p12's link.
    ctx = _setup(tmp_path, db_url)
    try:
        _write(tmp_path, "people.csv", "Key,Roles\np1,\np12,\n")
        _write(tmp_path, "roles.csv", "Code\nr1\n")
        _write(tmp_path, "skills.csv", "Person,Skill\np1,s1\np12,s1\n")
        synchronize(ctx, SyncRequest("HR", mode="initial"))
        with ctx.engine.connect() as conn:
            before = conn.execute(sa.text("SELECT count(*) FROM links")).scalar_one()
        _write(tmp_path, "skills.csv", "Person,Skill\np1,s1\np1\n")
        run = synchronize(ctx, SyncRequest("HR", force=True, reason="try"))
        assert run.state == R.FAILED
        assert "skills.csv: rows whose key cannot be read (lines 3)" in (run.message or "")
        with ctx.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM links")).scalar_one() == before
    finally:
        ctx.close()
