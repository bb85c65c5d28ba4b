"""scim2-tester against the read-only identity view, served by `headcount serve` in its own
process on loopback (SQLite and PostgreSQL): its discovery and misc checks, and its read checks
on Users HR made — only SUCCESS or SKIPPED."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import ListResponse, Resource, SearchRequest
from scim2_tester import Status, check_server
from scim2_tester.checkers import (
    object_list_with_attributes,
    object_query,
    object_query_with_attributes,
    object_query_without_id,
    search_with_attributes,
)
from scim2_tester.utils import CheckConfig, CheckContext, CheckResult, ResourceManager

from headcount.repository.database import create_engine
from scimproject import PEOPLE, reader_of, served
from webproject import make_project

pytestmark = pytest.mark.slow
PASSED = (Status.SUCCESS, Status.SKIPPED)


@pytest.fixture
def scim(tmp_path: Path, db_url: str) -> Iterator[SyncSCIMClient]:
    project = make_project(tmp_path / "hr", db_url, people=PEOPLE)
    engine = create_engine(db_url)
    try:
        _, headers = reader_of(engine)
    finally:
        engine.dispose()
    with served(project, db_url) as base, \
            httpx2.Client(base_url=f"{base}/scim/v2", headers=headers) as http:
        yield SyncSCIMClient(http)


class ExistingUsers(ResourceManager):
    """scim2-tester's read checks read a resource they create first; a read-only view has
    none to create, so they read one HR made: the first User."""

    def create_and_register(self, model: type[Resource[Any]], fill_all: bool = False
                            ) -> Resource[Any]:
        found = self.context.client.query(model, query_parameters=SearchRequest(
            sort_by="userName", count=1))
        assert isinstance(found, ListResponse)
        assert found.resources, "the sample has Users"
        resource: Resource[Any] = found.resources[0]
        return resource


def failures(results: list[CheckResult]) -> list[str]:
    return [f"{r.status.name} {r.title}: {r.reason}" for r in results if r.status not in PASSED]


def test_discovery_and_misc_checks_pass(scim: SyncSCIMClient) -> None:
    results = check_server(scim, include_tags={"discovery", "misc"})
    assert not failures(results)
    ran = [r for r in results if r.status is Status.SUCCESS]
    assert {"service_provider_config_endpoint_methods", "query_resource_type_by_id",
            "access_schema_by_id", "resource_types_schema_validation",
            "random_url"} <= {r.title for r in ran}
    assert len(ran) >= 20


def test_read_checks_pass_on_users_from_hr(scim: SyncSCIMClient) -> None:
    scim.discover()
    context = CheckContext(scim, CheckConfig(include_tags={"crud:read", "crud:read:attributes"}))
    context.resource_manager = ExistingUsers(context)
    # The model the server's discovery describes: the core User with the enterprise extension.
    model = scim.provider.model_for("User")
    assert model is not None
    assert issubclass(model, Resource)
    assert model.__name__ == "User[EnterpriseUser]"
    results: list[CheckResult] = []
    for check in (object_query, object_query_without_id, object_query_with_attributes,
                  object_list_with_attributes, search_with_attributes):
        results += check(context, model)
    assert not failures(results)
    assert sum(r.status is Status.SUCCESS for r in results) >= 5


def test_the_whole_suite_fails_only_on_writes(scim: SyncSCIMClient) -> None:
    """Every tag: what fails is what writes (refused: 403), PATCH is skipped (unsupported)."""
    results = check_server(scim)
    failed = {r.title for r in results if r.status not in PASSED}
    writing = {"object_creation", "object_replacement", "object_deletion"}
    # The read checks of the whole suite create their resource first, which is refused.
    reading = {"object_query", "object_query_without_id", "object_query_with_attributes",
               "object_list_with_attributes", "search_with_attributes"}
    assert failed <= writing | reading
    assert all("read-only" in (r.reason or "") for r in results if r.title in failed)
