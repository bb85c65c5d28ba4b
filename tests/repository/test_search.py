"""The one search: full names in any order, accents and case ignored, keys and e-mails; grouped by
entity type, best first, with totals."""

from __future__ import annotations

import json
import random
import unicodedata
import uuid
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headcount.config.loader import load_project_config
from headcount.project import ProjectContext
from headcount.repository import deployments
from headcount.repository.apply import apply_changes
from headcount.repository.database import begin_write
from headcount.repository.naming import Naming
from headcount.repository.search import search, words
from headcount.sync.changes import RESOURCE_SCHEMA, ChangeSet

CONFIG = """
connectors:
  - identifier: HR
    connections:
      - {identifier: People, path: data/people.csv}
    entity_types:
      - identifier: Person
        display_name: People
        resource_display_name: "{LastName} {FirstName}"
        properties:
          - {identifier: FirstName}
          - {identifier: LastName}
          - {identifier: WorkEmail}
          - {identifier: Active, type: bool}
        list_columns: [FirstName]
      - identifier: Org
        resource_display_name: "{Name}"
        properties:
          - {identifier: Name}
"""


def _project(folder: Path, url: str) -> ProjectContext:
    (folder / "config").mkdir(parents=True)
    (folder / "config" / "hr.yaml").write_text(CONFIG, encoding="utf-8")
    ctx = ProjectContext.open(folder, url)
    with begin_write(ctx.engine) as conn:
        deployments.deploy(conn, load_project_config(folder))
    return ctx


def _insert(ctx: ProjectContext, rows: list[tuple[str, str, dict[str, object]]]) -> None:
    frame = pl.DataFrame([{"kind": "insert", "entity_type": et, "key": key,
                           "data": json.dumps(values), "after": None, "hash": 0,
                           "connection": "test", "line": None} for et, key, values in rows],
                         schema=RESOURCE_SCHEMA)
    with begin_write(ctx.engine) as conn:
        apply_changes(conn, ChangeSet(frame), 0, Naming(deployments.require_latest(conn)[1]))


def _keys(ctx: ProjectContext, query: str, limit: int = 10) -> dict[str, tuple[int, list[str]]]:
    with ctx.engine.connect() as conn:
        groups = search(conn, ctx.deployed()[1], query, limit)
    return {g.label: (g.total, [h.key for h in g.hits]) for g in groups}


def _person(first: str, last: str, mail: str | None = None) -> dict[str, object]:
    return {"FirstName": first, "LastName": last, "WorkEmail": mail, "Active": True}


def test_names_in_any_order_keys_and_e_mails(tmp_path: Path, db_url: str) -> None:
    ctx = _project(tmp_path, db_url)
    try:
        _insert(ctx, [
            ("Person", "E1", _person("José", "Schneider", "jose.schneider@example.com")),
            ("Person", "E2", _person("Josette", "Martin")),
            ("Person", "E3", _person("Jo", "Schneiderman")),
            ("Org", "O1", {"Name": "Schneider Consulting"}),
        ])
        for query in ("jose schneider", "Schneider José", "SCHNEIDER jose", "  jos  schn "):
            assert _keys(ctx, query)["People"][1][0] == "E1", query
        assert _keys(ctx, "schneider") == {"People": (2, ["E1", "E3"]), "Org": (1, ["O1"])}
        assert _keys(ctx, "e1") == {"People": (1, ["E1"])}
        assert _keys(ctx, "jose.schneider@example.com") == {"People": (1, ["E1"])}
        assert _keys(ctx, "example") == {"People": (1, ["E1"])}
        # A word must start a word: "neider" is inside one.
        assert _keys(ctx, "neider") == {}
        # No name starts with "jo" (they are "Last First"): by name.
        assert _keys(ctx, "jo") == {"People": (3, ["E2", "E1", "E3"])}
        assert _keys(ctx, "jo", limit=1) == {"People": (3, ["E2"])}
        assert _keys(ctx, "") == {}
        # Punctuation (LIKE's wildcards too) separates words.
        assert _keys(ctx, "%") == {}
        assert _keys(ctx, "e_") == _keys(ctx, "e") == {"People": (3, ["E2", "E1", "E3"])}
        assert _keys(ctx, "zzz") == {}
    finally:
        ctx.close()


def test_the_exact_name_first_then_names_that_start_with_it(tmp_path: Path,
                                                            db_url: str) -> None:
    ctx = _project(tmp_path, db_url)
    try:
        _insert(ctx, [("Person", "E1", _person("Anna", "Berg")),
                      ("Person", "E2", _person("Bertil", "Aberg")),
                      ("Person", "E3", _person("", "Berg")),
                      ("Person", "E4", _person("Anna Lisa", "Berg"))])
        # "Berg" exactly, then "Berg Anna…" (starts with it), then the rest by name.
        assert _keys(ctx, "berg")["People"] == (3, ["E3", "E1", "E4"])
        assert _keys(ctx, "berg anna")["People"] == (2, ["E1", "E4"])
    finally:
        ctx.close()


def test_query_words_are_normalised() -> None:
    assert words("  Schneider   JOSÉ  ") == ["schneider", "jose"]
    assert words("a\x1fb") == ["a", "b"]
    assert len(words(" ".join(f"w{i}" for i in range(20)))) == 8


# Letters with and without accents, upper and lower case (not "ß": upper-cased it becomes "SS").
NAME = st.text(alphabet="abcdeéèêëfgiïjlmnoöprsştuüzÀÉÖÜØÇ", min_size=1, max_size=12)


@pytest.fixture
def people_project(tmp_path: Path) -> Iterator[ProjectContext]:
    ctx = _project(tmp_path, f"sqlite:///{tmp_path}/h.db")
    yield ctx
    ctx.close()


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=NAME, last=NAME, order=st.randoms(use_true_random=False), upper=st.booleans(),
       decomposed=st.booleans())
def test_any_name_is_found_from_its_words_in_any_order(
        people_project: ProjectContext, first: str, last: str, order: random.Random,
        upper: bool, decomposed: bool) -> None:
    # One database for every example: each person gets a key of its own.
    key = f"K{uuid.uuid4().hex[:12]}"
    _insert(people_project, [("Person", key, _person(first, last))])
    typed = [first, last]
    order.shuffle(typed)
    query = " ".join(typed)
    query = query.upper() if upper else query.lower()
    if decomposed:  # as some keyboards (macOS) send accents
        query = unicodedata.normalize("NFD", query)
    assert key in _keys(people_project, query, limit=10_000).get("People", (0, []))[1]
