"""The data model scan (SPEC §9): how many resources of each entity type of the upload connector
have each property filled, counted set-wise on SQLite and PostgreSQL, and the suggestion made
from the share: hide from forms under 1 % (or never), rarely used under 10 %."""

from __future__ import annotations

from pathlib import Path

import pytest

from headcount.config.model import Property
from headcount.project import ProjectContext
from headcount.upload.scan import EntityTypeUse, PropertyUse, scan
from webproject import make_project


@pytest.fixture
def scanned(tmp_path: Path, db_url: str) -> dict[str, EntityTypeUse]:
    folder = make_project(tmp_path / "hr", db_url, people=200)
    ctx = ProjectContext.open(folder, db_url)
    try:
        with ctx.engine.connect() as conn:
            return {e.label: e for e in scan(conn, ctx.deployed()[1])}
    finally:
        ctx.close()


def _by_label(use: EntityTypeUse) -> dict[str, PropertyUse]:
    return {p.label: p for p in use.properties}


def test_every_entity_type_of_the_upload_connector_is_scanned(
        scanned: dict[str, EntityTypeUse]) -> None:
    assert list(scanned) == ["Identity", "Identity record", "User type", "Organization",
                             "Site", "Title", "Subsidiary"]
    people = scanned["Identity"]
    assert people.total == 200
    # Keys first, as in the template; display names, not identifiers.
    assert people.properties[0].label == "Identifier"
    assert _by_label(people)["Last name"].filled == 200


def test_scalar_and_navigation_properties_are_counted(
        scanned: dict[str, EntityTypeUse]) -> None:
    records = _by_label(scanned["Identity record"])
    assert records["Identity"].filled == records["Identity"].total == 200  # a navigation
    assert records["Identity"].percent == 100.0
    assert records["Identity"].suggestion is None
    assert records["Phone number"].filled == 0  # a scalar never filled
    assert records["Phone number"].suggestion == "hide from forms"
    organizations = _by_label(scanned["Organization"])
    # The root organization has no parent: every other one has.
    assert 0 < organizations["Parent"].filled == organizations["Parent"].total - 1
    assert organizations["Manager"].filled == organizations["Manager"].total


def test_an_entity_type_without_resources_suggests_nothing(
        scanned: dict[str, EntityTypeUse]) -> None:
    titles = scanned["Title"]
    assert titles.total == 0
    assert {(p.filled, p.suggestion) for p in titles.properties} == {(0, None)}


@pytest.mark.parametrize(("filled", "total", "suggestion"), [
    (0, 300, "hide from forms"), (2, 300, "hide from forms"), (3, 300, "rarely used"),
    (29, 300, "rarely used"), (30, 300, None), (300, 300, None), (0, 0, None)])
def test_the_suggestion_follows_the_share(filled: int, total: int, suggestion: str | None
                                          ) -> None:
    use = PropertyUse(Property(identifier="Phone"), "Phone", filled, total)
    assert use.suggestion == suggestion
