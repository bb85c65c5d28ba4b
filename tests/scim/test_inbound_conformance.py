"""scim2-tester against the inbound SCIM service of the pushed sample connector, served by
`headcount serve` in its own process on loopback (SQLite and PostgreSQL): every check of every
tag reports SUCCESS or SKIPPED."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from headcount.repository import tokens
from headcount.repository.database import create_engine
from pushproject import make_push_project
from scimproject import reader_of, served

pytestmark = pytest.mark.slow
PASSED = (Status.SUCCESS, Status.SKIPPED)


@pytest.fixture
def scim(tmp_path: Path, db_url: str) -> Iterator[SyncSCIMClient]:
    project = make_push_project(tmp_path / "hr", db_url)
    engine = create_engine(db_url)
    try:
        _, headers = reader_of(engine, (tokens.SCIM,), ("HR",))
    finally:
        engine.dispose()
    with served(project, db_url) as base, \
            httpx2.Client(base_url=f"{base}/scim/v2/connectors/HR", headers=headers) as http:
        yield SyncSCIMClient(http)


def test_every_check_passes_or_is_skipped(scim: SyncSCIMClient) -> None:
    results = check_server(scim)
    failed = [f"{r.status.name} {r.title}: {r.reason}" for r in results
              if r.status not in PASSED]
    assert not failed
    succeeded = [r for r in results if r.status is Status.SUCCESS]
    assert {"object_creation", "object_replacement", "object_deletion", "object_query",
            "search_with_attributes", "check_add_attribute", "check_remove_attribute",
            "check_replace_attribute"} <= {r.title for r in succeeded}
    # PATCH is checked on each attribute the service describes.
    assert len(succeeded) >= 60
