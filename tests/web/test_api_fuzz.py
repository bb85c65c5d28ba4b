"""Schemathesis over the OpenAPI schema, as an administrator, against the sample project: with
every check on (no server error, answers that match their schema and its formats, statuses and
content types that are documented, invalid data refused, valid data accepted, undocumented
methods refused…), whatever the generated requests, the API keeps its contract.

Bounded for CI: derandomized (the same examples on every run), a few examples per operation and
generation mode (valid and invalid requests)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Err, Ok
from schemathesis.generation.case import Case
from schemathesis.schemas import APIOperation, BaseSchema

from webproject import bearer, make_app, make_project

pytestmark = pytest.mark.slow
EXAMPLES = 25
# Operations whose values are checked beyond what a schema can say (a property of the resource's
# entity type, a case's candidates, a value still waiting for a decision): a well-formed request
# may be refused with a 422 that names the value.
SEMANTIC = ["PATCH /api/resources/{resource_id}", "POST /api/reconciliation/decisions",
            "POST /api/reconciliation/{state_id}/decision",
            "POST /api/correlation-cases/{case_id}/decision"]
CONFIG = {"operations": [{"include-name": SEMANTIC, "checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]}}}]}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    folder = tmp_path_factory.mktemp("fuzz") / "hr"
    url = f"sqlite:///{folder.parent}/headcount.db"
    make_project(folder, url, people=200)
    return make_app(folder, url)


@pytest.fixture(scope="module")
def admin_headers(api: FastAPI) -> dict[str, str]:
    return bearer(api, "admin", ["read", "run", "admin", "edit", "decide"])


@pytest.fixture(scope="module")
def api_schema(api: FastAPI, admin_headers: dict[str, str]) -> BaseSchema:
    # Copies of the headers: schemathesis adds its own to the dictionary it is given.
    return schemathesis.openapi.from_asgi("/api/openapi.json", api, headers=dict(admin_headers),
                                          config=SchemathesisConfig.from_dict(CONFIG))


def contract_breaches(operation: APIOperation[Any, Any, Any, Any], mode: GenerationMode,
                      headers: dict[str, str]) -> str | None:
    # schemathesis.pytest.from_fixture would run this per operation, but it fails on pytest 9
    # (it reads the node's `_nodeid`): Hypothesis drives each operation here instead.
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: Case[Any]) -> None:
        # No `checks=`: every check schemathesis has is on by default.
        case.call_and_validate(headers=dict(headers))

    try:
        check()
    except Unsatisfiable:
        # No invalid request exists for an operation without parameters, or with free text only.
        assert mode is GenerationMode.NEGATIVE, operation.label
    except Exception as breach:  # each breach is reported, all at once
        return f"{operation.label} ({mode.value}): {breach}"
    return None


def test_api_keeps_its_contract(api_schema: BaseSchema, admin_headers: dict[str, str]) -> None:
    results = list(api_schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), [r.err() for r in results if isinstance(r, Err)]
    assert len(operations) >= 30
    breaches = [breach for operation in operations for mode in GenerationMode
                if (breach := contract_breaches(operation, mode, admin_headers))]
    assert not breaches, "\n\n".join(breaches)
