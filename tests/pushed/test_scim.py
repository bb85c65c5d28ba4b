"""A SCIM User flattened to a pushed connection's columns (headcount.pushed.scim): core,
enterprise and custom attributes, element filters, the primary element, `active` absent, and
the attributes no column reads."""

from __future__ import annotations

from typing import Any

import pytest

from headcount.config.pushed import ENTERPRISE_USER, parse_path
from headcount.pushed.scim import AttributeProblem, Flattener, unknown_attributes, value_at

CUSTOM = "urn:ietf:params:scim:schemas:extension:contoso:1.0:User"
# Shaped as Microsoft's documented bulkUpload example (core + enterprise + a custom extension).
JENSEN: dict[str, Any] = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER, CUSTOM],
    "externalId": "701984", "userName": "bjensen@example.com",
    "name": {"familyName": "Jensen", "givenName": "Barbara"},
    "emails": [{"value": "bj@home.example", "type": "home"},
               {"value": "bjensen@example.com", "type": "work", "primary": True}],
    "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
    ENTERPRISE_USER: {"employeeNumber": 701984, "department": "Tour Operations",
                      "manager": {"value": "89607", "displayName": "John Smith"}},
    CUSTOM: {"HireDate": "2021-05-01T00:00:00-08:00", "JobCode": None},
}


@pytest.mark.parametrize(("path", "value"), [
    ("userName", "bjensen@example.com"),
    ("USERNAME", "bjensen@example.com"),  # attribute names are case-insensitive
    ("name.givenName", "Barbara"),
    ('emails[type eq "work"].value', "bjensen@example.com"),
    ('emails[type eq "home"].value', "bj@home.example"),
    ("emails.value", "bjensen@example.com"),  # the primary one
    ("phoneNumbers.value", "555-555-5555"),  # no primary: the first
    (f"{ENTERPRISE_USER}:employeeNumber", "701984"),
    (f"{ENTERPRISE_USER}:manager.value", "89607"),
    (f"{CUSTOM}:HireDate", "2021-05-01T00:00:00-08:00"),
    (f"{CUSTOM}:JobCode", None),
    ("title", None),
    ("active", "true"),  # absent: a present person (Entra's rule)
])
def test_values_are_read_at_their_paths(path: str, value: str | None) -> None:
    assert value_at(JENSEN, parse_path(path)) == value


def test_active_false_is_a_value_like_any_other() -> None:
    assert value_at(JENSEN | {"active": False}, parse_path("active")) == "false"


def test_an_object_where_a_value_is_expected_is_a_problem() -> None:
    with pytest.raises(AttributeProblem, match="holds an object, not a value"):
        value_at(JENSEN, parse_path(f"{ENTERPRISE_USER}:manager"))


def test_attributes_no_column_reads_are_named() -> None:
    known = frozenset(parse_path(p).coarse for p in [
        "userName", "externalId", "name.givenName", "name.familyName", "emails.value",
        f"{ENTERPRISE_USER}:employeeNumber", f"{ENTERPRISE_USER}:manager.value",
        f"{CUSTOM}:HireDate"])
    # Selectors (type, primary) and the manager's displayName are no attributes of their own.
    assert unknown_attributes(JENSEN, known) == [
        "phoneNumbers.value", f"{ENTERPRISE_USER}:department"]


READ = ["userName", "externalId", "name.givenName", "name.familyName", "emails.value", "title",
        f"{ENTERPRISE_USER}:employeeNumber", f"{ENTERPRISE_USER}:manager.value",
        f"{CUSTOM}:HireDate", f"{CUSTOM}:JobCode", "phoneNumbers.value",
        f"{ENTERPRISE_USER}:department"]


@pytest.mark.parametrize("sent", [
    JENSEN,
    JENSEN | {"nickName": "Babs"},
    JENSEN | {"name": "Barbara Jensen"},  # a value where sub-attributes are read
    JENSEN | {"title": {"value": "Tour Guide"}},  # an object where a value is read
    JENSEN | {"emails": [{"value": "x@example.com", "display": "x"}, "y@example.com"]},
    JENSEN | {CUSTOM: {"HireDate": "2021-05-01", "Badge": 7}},
    JENSEN | {"urn:ietf:params:scim:schemas:core:2.0:User": {"displayName": "Babs"}},
    JENSEN | {"urn:example:other:1.0:User": {"x": 1}},
    JENSEN | {"phoneNumbers": [], "title": None, "id": "2819c223", "meta": {"x": 1}},
])
def test_a_flattener_reads_as_the_paths_do(sent: dict[str, Any]) -> None:
    """The flattener of a connection (its paths parsed once, each schema found once) reads
    what each path reads and names the same unknown attributes."""
    paths = {f"c{i}": parse_path(p) for i, p in enumerate(READ)}
    flattener = Flattener(paths)
    try:
        expected: dict[str, str | None] | str = {c: value_at(sent, p) for c, p in paths.items()}
    except AttributeProblem as problem:
        expected = str(problem)
    try:
        found: dict[str, str | None] | str = flattener.row(sent)
    except AttributeProblem as problem:
        found = str(problem)
    assert found == expected
    assert flattener.unknown(sent) == unknown_attributes(sent, flattener.known)
