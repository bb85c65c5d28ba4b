"""The `scim:` section: how the read-only SCIM view (docs/scim.md) shows identities — which
entity type its Users are, and where each SCIM attribute's value comes from."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from headcount.config.base import ConfigModel

# The SCIM attributes a value can be mapped to: the core User schema's single values and its
# work e-mail and phone, then the enterprise extension's (RFC 7643 §4.1, §4.3).
ScimAttribute = Literal[
    "userName", "externalId", "displayName", "name.givenName", "name.familyName",
    "name.formatted", "nickName", "title", "userType", "preferredLanguage", "locale",
    "timezone", "emails", "phoneNumbers", "active",
    "employeeNumber", "costCenter", "organization", "division", "department", "manager",
]

# The workforce template's identities (docs/identities.md): values of the identity itself, of
# its current record (`Records.…`), and of that record's links (its organization, manager).
DEFAULT_ATTRIBUTES: dict[ScimAttribute, str] = {
    "userName": "$key",
    "externalId": "EmployeeId",
    "displayName": "$display",
    "name.givenName": "FirstName",
    "name.familyName": "LastName",
    "title": "Records.Title",
    "emails": "Records.Email",
    "phoneNumbers": "Records.PhoneNumber",
    "active": "State",
    "employeeNumber": "EmployeeId",
    "department": "Records.Organization",
    "organization": "Records.Organization.Parent",
    "manager": "Records.Manager",
}


class ScimUsers(ConfigModel):
    """The Users of the read-only SCIM view."""

    entity_type: str = Field(
        "Directory_User", description="The entity type whose resources are the Users; their "
                                      "key is each User's `id`.")
    record: str | None = Field(
        "Records", description="A navigation's flip side on the entity type (the identity's "
                               "dated records): a value path starting with it reads the "
                               "current record — valid today, else the latest started, else "
                               "the next — preferring a main position.")
    active_values: list[str] = Field(
        default_factory=lambda: ["active"],
        description="The values of the `active` attribute's property that make a User "
                    "active; any other value (or none) is inactive.")
    attributes: dict[ScimAttribute, str] = Field(
        default_factory=lambda: dict(DEFAULT_ATTRIBUTES),
        description="SCIM attribute → value path: `$key` (the resource's key), `$display` "
                    "(its display name), a property (`LastName`), or steps through "
                    "navigations (`Records.Organization.Parent`); a path ending on a "
                    "navigation gives the target's display name (and, for `manager`, its "
                    "key as the value). Replaces the whole default mapping.")


class ScimSettings(ConfigModel):
    """The top-level `scim:` section (absent: the defaults for the workforce template)."""

    users: ScimUsers = Field(default_factory=ScimUsers, description="The Users resource type.")
