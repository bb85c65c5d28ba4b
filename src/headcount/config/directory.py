"""Connections that read directory accounts (docs/managed-systems.md): an LDAP server, an LDIF
file, an Active Directory CSV export. Each gives the columns of the attributes it lists, decoded
alike (connections.directory), so one mapping fits the three."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from headcount.config.base import ConfigModel, Identifier, Name

# What sync.prepare reads of every connection: directory values come decoded to ISO 8601 UTC.
ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"


class FileConnection(ConfigModel):
    """Where a file-based connection finds its file (SPEC §3.1)."""

    identifier: Identifier
    path: str | None = Field(None, description="File for complete runs (relative to the project).")
    path_incremental: str | None = Field(None, description="File for incremental runs.")
    path_is_regex: bool = Field(
        False, description="The file name is a pattern; the most recently created match is used "
                           "(or the one with the latest date in its name, with `path_date_format`)."
    )
    path_date_format: str | None = Field(
        None, description="With `path_is_regex`: the newest file is the one whose name holds the "
                          "latest date, read from the pattern's group `path_date_group` with this "
                          "strftime format (e.g. %Y%m%d), not the most recently created one.")
    path_date_group: Name = Field(
        "date", description="The named group of the pattern holding the date of a file name.")


class DirectorySettings(ConfigModel):
    """What the three directory connections share: the attributes read and how multi-values
    are joined."""

    attributes: list[str] | None = Field(
        None, description="Attributes read, in this order and spelling (matched "
                          "case-insensitively); each is a column, with `dn`. Default: every "
                          "attribute found.")
    multivalue_separator: str = Field(
        "|", min_length=1, description="Joins the values of a multi-valued attribute.")

    # sync.prepare reads these of every connection: values come decoded, in ISO 8601 UTC.
    @property
    def date_formats(self) -> list[str]:
        return [ISO_UTC]

    @property
    def timezone(self) -> str:
        return "UTC"

    @property
    def command_column(self) -> str | None:
        return None

    @property
    def transformations(self) -> list[Any]:
        return []


class LdapConnection(DirectorySettings):
    """An LDAP server (OpenLDAP, Active Directory…) read with a paged search."""

    identifier: Identifier
    package: Literal["ldap"]
    url: str = Field(pattern=r"^ldaps?://[^/\s]+/?$",
                     description="ldap://host[:port] or ldaps://host[:port].")
    start_tls: bool = Field(False, description="Upgrade an ldap:// connection with StartTLS.")
    ca_file: str | None = Field(
        None, description="PEM file of the certificate authorities trusted (relative to the "
                          "project); default: the system's.")
    verify: bool = Field(True, description="Verify the server's certificate and host name.")
    bind_dn: str | None = Field(None, description="DN to bind as; anonymous when absent.")
    password_env: str | None = Field(
        None, description="Environment variable holding the bind password.")
    password_file: str | None = Field(
        None, description="File holding the bind password (relative to the project).")
    base_dn: str = Field(description="Where the search starts.")
    filter: str = Field("(objectClass=*)", description="LDAP search filter (RFC 4515).")
    scope: Literal["base", "one", "sub"] = "sub"
    page_size: int = Field(500, ge=1, le=100_000,
                           description="Entries per page of the paged search (RFC 2696).")
    timeout: int = Field(30, ge=1, description="Seconds to connect and for each page.")
    incremental_by: Literal["modifyTimestamp", "uSNChanged"] | None = Field(
        None, description="Incremental runs read only the entries changed since the last run, "
                          "by this attribute.")

    @model_validator(mode="before")
    @classmethod
    def _no_password(cls, value: Any) -> Any:
        if isinstance(value, dict) and "password" in value:
            raise ValueError("a password is never written in the configuration: name the "
                             "environment variable holding it with `password_env`, or a file "
                             "with `password_file`")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> LdapConnection:
        if self.password_env and self.password_file:
            raise ValueError("`password_env` or `password_file`, not both")
        if self.start_tls and self.url.startswith("ldaps:"):
            raise ValueError("`start_tls` upgrades an ldap:// connection; ldaps:// is TLS already")
        if (self.password_env or self.password_file) and not self.bind_dn:
            raise ValueError("a password needs the `bind_dn` it belongs to")
        return self

    @property
    def server(self) -> str:
        """The server as shown in job results and errors: its URL."""
        return self.url.rstrip("/")


class LdifConnection(FileConnection, DirectorySettings):
    """An LDIF file (RFC 2849) of entries."""

    package: Literal["ldif"]


class AdCsvConnection(FileConnection, DirectorySettings):
    """An Active Directory CSV export: `Get-ADUser … | Export-Csv` or `csvde`."""

    package: Literal["adcsv"]
    encoding: str = Field("utf-8", description="Encoding of the file; a byte order mark wins.")
    local_date_formats: list[str] = Field(
        default_factory=lambda: ["%m/%d/%Y %I:%M:%S %p", "%d/%m/%Y %H:%M:%S",
                                 "%Y-%m-%d %H:%M:%S"],
        description="strptime formats of the dates PowerShell wrote (its culture), tried in "
                    "order.")
    local_timezone: str = Field(
        "UTC", description="Time zone of the machine that ran Export-Csv: its dates are local.")
