"""A connection fed by records an HR system pushes over HTTPS (docs/push.md): SCIM bulk requests
in the format of Microsoft Entra's API-driven inbound provisioning, or JSON lines. `attributes`
names the columns the records make, as a CSV file's header would, each read from a SCIM attribute
path; the entity type mapping then maps columns to properties as for a file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, field_validator

from headcount.config.base import ConfigModel, Identifier

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
# The command of a stored record (the `command_column` of an incremental file): `delete` when
# the inbound SCIM service deleted the user, so that an incremental run removes its key;
# `merge` (absent) otherwise. No attribute path makes it: a pushed record cannot forge one.
COMMAND_COLUMN = "$command"
# `emails[type eq "work"].value`, `name.givenName`, `active`, `manager.value`: an attribute, an
# optional filter on an element of a multi-valued one, an optional sub-attribute.
_ATTRIBUTE = re.compile(
    r'^(?P<name>[A-Za-z][\w$-]*)'
    r'(?:\[(?P<field>[A-Za-z][\w$-]*) eq (?P<value>"[^"]*"|true|false)\])?'
    r'(?:\.(?P<sub>[A-Za-z$][\w$-]*))?$')


@dataclass(frozen=True)
class AttributePath:
    """A parsed SCIM attribute path: the schema holding it (None: the core User), the attribute,
    the element filter of a multi-valued one and the sub-attribute."""

    text: str
    schema: str | None
    name: str
    filter_field: str | None
    filter_value: str | bool | None
    sub: str | None

    @property
    def coarse(self) -> str:
        """The path without its filter, lower case: what an attribute sent is matched with."""
        where = f"{self.schema.lower()}:" if self.schema else ""
        return where + self.name.lower() + (f".{self.sub.lower()}" if self.sub else "")


def parse_path(text: str) -> AttributePath:
    """The path `text` names; ValueError when it is no SCIM attribute path."""
    schema: str | None = None
    attribute = text
    if text.lower().startswith("urn:"):
        # Attribute names hold no colon: the schema URN is what precedes the last one.
        schema, _, attribute = text.rpartition(":")
        if schema.lower() == CORE_USER.lower():
            schema = None
    found = _ATTRIBUTE.match(attribute)
    if found is None or (schema is not None and not schema.strip()):
        raise ValueError(f"`{text}` is no SCIM attribute path (e.g. userName, name.givenName, "
                         f'emails[type eq "work"].value, {ENTERPRISE_USER}:employeeNumber)')
    raw = found["value"]
    value: str | bool | None = None
    if raw is not None:
        value = raw[1:-1] if raw.startswith('"') else raw == "true"
    return AttributePath(text, schema, found["name"], found["field"], value, found["sub"])


class PushedConnection(ConfigModel):
    """Records pushed to `POST /api/push/{connector}/bulk` (SCIM) or `/records` (JSON lines)."""

    identifier: Identifier
    package: Literal["pushed"]
    attributes: dict[str, str] = Field(
        min_length=1,
        description="Column name → SCIM attribute path it is read from (core: `userName`, "
                    "`name.givenName`, `emails[type eq \"work\"].value`, `active`; the "
                    "enterprise extension or a custom one: `<schema URN>:<attribute>`). JSON "
                    "lines name the columns themselves.")
    max_operations: int = Field(
        50, ge=1, le=1000, description="Operations (records) a request may carry at most; "
                                       "Entra sends at most 50.")
    max_payload_bytes: int = Field(
        1_048_576, ge=1024, le=8 * 1024 * 1024,
        description="Size of a request body at most, in bytes (413 beyond).")
    unknown_attributes: Literal["reject", "ignore"] = Field(
        "reject", description="An attribute sent that no column reads: `reject` the operation "
                              "(naming it), or `ignore` it.")
    timezone: str = Field(
        "UTC", description="Time zone of dates and times sent without an offset.")

    @field_validator("attributes")
    @classmethod
    def _paths(cls, value: dict[str, str]) -> dict[str, str]:
        for path in value.values():
            parse_path(path)
        return value

    def paths(self) -> dict[str, AttributePath]:
        """Column → its parsed path."""
        return {column: parse_path(path) for column, path in self.attributes.items()}

    # What sync.prepare reads of every connection: values arrive as JSON, dates in ISO 8601.
    @property
    def date_formats(self) -> list[str]:
        return []

    @property
    def command_column(self) -> str | None:
        return COMMAND_COLUMN

    @property
    def multivalue_separator(self) -> str | None:
        return None

    @property
    def transformations(self) -> list[Any]:
        return []
