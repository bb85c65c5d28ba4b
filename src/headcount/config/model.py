"""The configuration model (SPEC §2–§4): connectors, connections, entity types, mappings,
thresholds. Field names are the ones people write in YAML; `headcount schema` publishes them."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator

from headcount.config.base import ConfigModel, Identifier, Name
from headcount.config.calendar import CalendarSpec
from headcount.config.directory import (
    AdCsvConnection,
    FileConnection,
    LdapConnection,
    LdifConnection,
)
from headcount.config.internal_workflow import InternalWorkflowConnection
from headcount.config.jobs import Job
from headcount.config.managed_system import ManagedSystem
from headcount.config.notifications import Notifications
from headcount.config.pushed import PushedConnection
from headcount.config.resource_type import ResourceType
from headcount.config.scim import ScimSettings
from headcount.config.sso import SingleSignOn
from headcount.config.upload import UploadSettings
from headcount.config.workflow import Workflow


class PropertyType(StrEnum):
    STRING = "string"
    INT = "int"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"
    DECIMAL = "decimal"
    ENUM = "enum"
    NAVIGATION = "navigation"


class Property(ConfigModel):
    """A scalar property, or a navigation property with its flip side on the target."""

    identifier: Name
    type: PropertyType = PropertyType.STRING
    display_name: str | None = None
    group: str | None = Field(None, description="Display group on the resource page.")
    values: list[str] | None = Field(None, description="Allowed values of an enum property.")
    target: Identifier | None = Field(None, description="Target entity type of a navigation.")
    flip: Name | None = Field(
        None, description="Name of the reverse navigation, created on the target entity type."
    )
    multivalued: bool = Field(False, description="A navigation holding several targets.")

    @property
    def is_navigation(self) -> bool:
        return self.type is PropertyType.NAVIGATION


class EntityType(ConfigModel):
    identifier: Name
    display_name: str | None = None
    icon: str | None = Field(None, description="Icon name shown in the left menu.")
    properties: list[Property]
    keys: list[Identifier] = Field(
        default_factory=list, description="Key properties: identify a resource at a point in time."
    )
    resource_display_name: str | None = Field(
        None,
        description="Template of a resource's display name, e.g. '{LastName} {FirstName}'.",
    )
    list_columns: list[Name] = Field(
        default_factory=list,
        description="Columns of the list page, searched by its search box (default: the first "
                    "six scalar properties).")

    def find_property(self, identifier: str) -> Property | None:
        low = identifier.lower()
        return next((p for p in self.properties if p.identifier.lower() == low), None)

    def display(self, values: Mapping[str, Any]) -> str:
        """A resource's display name from `resource_display_name` (empty when it cannot)."""
        if not self.resource_display_name:
            return ""
        try:
            return self.resource_display_name.format_map(
                {k: ("" if v is None else v) for k, v in values.items()})
        except (KeyError, ValueError):
            return ""

    @property
    def scalar_properties(self) -> list[Property]:
        return [p for p in self.properties if not p.is_navigation]

    def key_computed_by(self, rt: ResourceType) -> str | None:
        """The key property a resource type computes for its targets of this type — the first
        of `keys` (or the first scalar property) that one of its scalar rules names — or None:
        such a resource type could not tell one target from another."""
        computed = {r.target for r in rt.scalars}
        keys = self.keys or [p.identifier for p in self.scalar_properties[:1]]
        return next((key for key in keys if key in computed), None)


class DateShift(ConfigModel):
    type: Literal["date_shift"]
    columns: list[str]
    days: float
    years: tuple[int, int] = (1, 9999)


class RowFilter(ConfigModel):
    type: Literal["filter"]
    column: str
    operator: Literal["equals", "not_equals", "contains", "starts_with", "ends_with", "matches"]
    value: str


class Concatenate(ConfigModel):
    type: Literal["concatenate"]
    columns: list[str]
    into: str
    separator: str = " "
    drop_empty: bool = True
    drop_duplicates: bool = False
    sort: bool = False


Transformation = Annotated[DateShift | RowFilter | Concatenate, Field(discriminator="type")]


class Connection(FileConnection):
    """A CSV connection: how one HR file is read (SPEC §3.1)."""

    package: Literal["csv"] = "csv"
    encoding: str = "utf-8"
    separator: str = Field(",", min_length=1, max_length=1)
    quote: str = Field('"', min_length=1, max_length=1)
    escape: str | None = Field(None, min_length=1, max_length=1)
    lines_to_skip: int = Field(0, ge=0)
    values_to_trim: list[str] = Field(default_factory=list)
    multivalue_separator: str | None = Field(None, min_length=1)
    date_formats: list[str] = Field(
        default_factory=list, description="strftime formats tried in order; ISO 8601 when empty."
    )
    timezone: str = "UTC"
    command_column: str | None = Field(
        None, description="Column holding insert/update/delete/merge in incremental files."
    )
    transformations: list[Transformation] = Field(default_factory=list)


def _package(value: Any) -> str:
    # `csv` is the default package: a connection without one is a CSV file.
    if isinstance(value, dict):
        return str(value.get("package", "csv"))
    return str(getattr(value, "package", "csv"))


PACKAGES = ("csv", "ldap", "ldif", "adcsv", "pushed")
AnyConnection = Annotated[
    Annotated[Connection, Tag("csv")] | Annotated[LdapConnection, Tag("ldap")]
    | Annotated[LdifConnection, Tag("ldif")] | Annotated[AdCsvConnection, Tag("adcsv")]
    | Annotated[PushedConnection, Tag("pushed")],
    Discriminator(_package, custom_error_type="package",
                  custom_error_message="unknown `package`: one of " + ", ".join(PACKAGES)),
]
DirectoryConnection = LdapConnection | LdifConnection | AdCsvConnection


class Thresholds(ConfigModel):
    """Brakes on a run (SPEC §4.4). Counts and percentages of what is stored; any crossed one
    blocks the run. Unset values inherit nothing at mapping level and the defaults at connector
    level."""

    max_inserted: int | None = Field(None, ge=0)
    max_updated: int | None = Field(None, ge=0)
    max_deleted: int | None = Field(None, ge=0)
    max_inserted_pct: float | None = Field(None, ge=0)
    max_updated_pct: float | None = Field(None, ge=0)
    max_deleted_pct: float | None = Field(None, ge=0)
    max_links_inserted: int | None = Field(None, ge=0)
    max_links_deleted: int | None = Field(None, ge=0)
    max_links_inserted_pct: float | None = Field(None, ge=0)
    max_links_deleted_pct: float | None = Field(None, ge=0)
    max_rows_drop_pct: float | None = Field(
        None, ge=0, le=100, description="Block when a file has this much fewer rows than the last."
    )


CONNECTOR_DEFAULT_THRESHOLDS = Thresholds(
    max_inserted=100,
    max_updated=100,
    max_deleted=100,
    max_inserted_pct=5,
    max_updated_pct=5,
    max_deleted_pct=5,
    max_links_inserted=1000,
    max_links_deleted=1000,
    max_links_inserted_pct=5,
    max_links_deleted_pct=5,
    max_rows_drop_pct=20,
)


class EntityTypeMapping(ConfigModel):
    """Ties the columns of a connection to the scalar properties of an entity type."""

    entity_type: Identifier
    connection: Identifier
    key: Identifier = Field(description="The mapping key property: unique and immutable.")
    columns: dict[str, str] = Field(description="Property identifier → column name.")
    thresholds: Thresholds | None = None


class AssociationMapping(ConfigModel):
    """Ties a column holding another resource's key to a navigation property. On the mapping's
    own connection `column` is enough; an association file names its two columns."""

    navigation: str = Field(description="EntityType.Navigation, e.g. HR_Person.Manager.")
    connection: Identifier
    column: str | None = Field(None, description="Column holding the target key(s).")
    source_column: str | None = Field(None, description="Association file: the source key.")
    target_column: str | None = Field(None, description="Association file: the target key.")


class Connector(ConfigModel):
    identifier: Identifier
    display_name: str | None = None
    thresholds: Thresholds = Field(default_factory=Thresholds)
    stale_after_days: float = Field(
        2, gt=0, description="The home page warns when the connector's last successful run is "
                             "older than this many days (its files are stale).")
    agent: Literal["local", "remote"] = Field(
        "local", description="Who reads the connector's files: `local`, the server's embedded "
                             "agent; `remote`, an agent next to the files (`headcount agent`, "
                             "docs/agent.md), which leases the work and delivers them.")
    active: bool = Field(
        True, description="False: its scheduled jobs are skipped, and their job runs say so "
                          "(docs/jobs.md); `headcount connector deactivate` does the same "
                          "without editing the configuration.")
    jobs: list[str] | None = Field(
        None, description="The jobs (`jobs:` section) that run for it when they name no "
                          "connectors; none: every such job; `[]`: no scheduled job.")
    connections: list[AnyConnection] = Field(default_factory=list)
    entity_types: list[EntityType] = Field(default_factory=list)
    mappings: list[EntityTypeMapping] = Field(default_factory=list)
    associations: list[AssociationMapping] = Field(default_factory=list)

    def connection(self, identifier: str) -> AnyConnection:
        return next(c for c in self.connections if c.identifier.lower() == identifier.lower())

    def entity_type(self, identifier: str) -> EntityType:
        return next(e for e in self.entity_types if e.identifier.lower() == identifier.lower())

    def effective_thresholds(self) -> Thresholds:
        # Only values given replace the defaults: a deployed configuration comes back from JSON
        # with every field set, so "unset" cannot be told from "given as null".
        merged = CONNECTOR_DEFAULT_THRESHOLDS.model_dump()
        merged.update({k: v for k, v in self.thresholds.model_dump().items() if v is not None})
        return Thresholds(**merged)


TableValue = str | int | float | bool | None


class LookupTable(ConfigModel):
    """A static table read by the expression function `lookup()` (docs/expressions.md)."""

    identifier: Identifier
    values: dict[str, TableValue] = Field(
        description="Key → value. Keys are texts (a number written as a key is its text).")

    @field_validator("values", mode="before")
    @classmethod
    def _keys_as_text(cls, value: Any) -> Any:
        # YAML reads `42: x` and `true: x` with non-text keys; lookup() compares texts.
        if isinstance(value, dict):
            return {("true" if k is True else "false" if k is False else str(k)): v
                    for k, v in value.items()}
        return value


class Project(ConfigModel):
    """The whole configuration of a project, all files merged."""

    connectors: list[Connector] = Field(default_factory=list)
    resource_types: list[ResourceType] = Field(default_factory=list)
    tables: list[LookupTable] = Field(default_factory=list)
    calendars: list[CalendarSpec] = Field(default_factory=list)
    workflows: list[Workflow] = Field(default_factory=list)
    workflow_connections: list[InternalWorkflowConnection] = Field(
        default_factory=list, description="Connections of package `internal-workflow` (SPEC "
                                          "§7.2): the orders of their resource types start "
                                          "workflows instead of being fulfilled directly.")
    jobs: list[Job] = Field(
        default_factory=list, description="Jobs that run themselves on a schedule "
                                          "(docs/jobs.md).")
    notifications: Notifications = Field(default_factory=Notifications)
    upload: UploadSettings = Field(default_factory=UploadSettings)
    sso: SingleSignOn | None = Field(
        None, description="Log-in through an OpenID Connect provider (docs/sso.md); absent: "
                          "local accounts only.")
    managed_systems: list[ManagedSystem] = Field(
        default_factory=list, description="Systems whose accounts are reviewed: orphaned, "
                                          "unused and owner-left accounts (SPEC §10).")
    scim: ScimSettings = Field(
        default_factory=ScimSettings, description="The read-only SCIM view of the identities "
                                                  "(docs/scim.md).")

    def managed_system(self, identifier: str) -> ManagedSystem | None:
        low = identifier.lower()
        return next((m for m in self.managed_systems if m.identifier.lower() == low), None)

    def job(self, identifier: str) -> Job | None:
        low = identifier.lower()
        return next((j for j in self.jobs if j.identifier.lower() == low), None)

    def workflow(self, identifier: str) -> Workflow | None:
        return next((w for w in self.workflows if w.identifier.lower() == identifier.lower()),
                    None)

    def workflow_connection(self, resource_type: str) -> InternalWorkflowConnection | None:
        """The internal-workflow connection fulfilling a resource type; None: directly."""
        low = resource_type.lower()
        return next((w for w in self.workflow_connections
                     if low in (r.lower() for r in w.resource_types)), None)

    def lookup_tables(self) -> dict[str, dict[str, TableValue]]:
        """The static tables of `lookup()`, by identifier."""
        return {t.identifier: dict(t.values) for t in self.tables}

    def connector(self, identifier: str) -> Connector | None:
        low = identifier.lower()
        return next((c for c in self.connectors if c.identifier.lower() == low), None)

    def entity_type(self, identifier: str) -> tuple[Connector, EntityType] | None:
        low = identifier.lower()
        for connector in self.connectors:
            for et in connector.entity_types:
                if et.identifier.lower() == low:
                    return connector, et
        return None
