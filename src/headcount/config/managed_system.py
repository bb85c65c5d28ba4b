"""Managed systems (SPEC §10): a connector whose entity type holds accounts — an AD, an LDAP
directory, an application's users — reviewed for orphaned, unused and owner-left accounts. The
owner of each account is named by an owner resource type (`owner: true`) from the accounts to
Directory_User."""

from __future__ import annotations

from pydantic import Field

from headcount.config.base import ConfigModel, Identifier, Name


class ManagedSystem(ConfigModel):
    identifier: Identifier
    display_name: str | None = None
    connector: Identifier = Field(description="The connector that reads the accounts.")
    accounts: Name = Field(description="The entity type of the accounts, e.g. AD_User.")
    owner: Identifier = Field(
        description="The owner resource type (`owner: true`) from `accounts` to Directory_User.")
    disabled: Name | None = Field(
        None, description="Bool property of the account: true when it is disabled "
                          "(accountDisabled, from userAccountControl bit 0x2).")
    last_logon: Name | None = Field(
        None, description="Datetime property of the account's last logon "
                          "(lastLogonTimestamp).")
    created: Name | None = Field(
        None, description="Datetime property of the account's creation (whenCreated): an "
                          "account that never logged on counts as unused once it is older "
                          "than `unused_after_days`; without it, never.")
    last_logon_lag_days: int = Field(
        14, ge=0, description="How old `last_logon` may be although the account was used: AD "
                              "replicates lastLogonTimestamp only every 9 to 14 days.")
    unused_after_days: int = Field(
        90, ge=1, description="An enabled account without a logon for this many days is "
                              "unused; not below `last_logon_lag_days`.")
    service_accounts: dict[Name, str | list[str]] = Field(
        default_factory=dict,
        description="How a service account is recognised: account property → a value or a "
                    "list of values, `*` matching any text, case ignored (e.g. "
                    "{description: 'service*'} or {dn: '*,OU=Services,*'}); every property "
                    "given must match.")
    grace_days: int = Field(
        30, ge=0, description="A confirmed deletion disables the account first and deletes it "
                              "this many days later; until then it can be undone.")

    @property
    def label(self) -> str:
        return self.display_name or self.identifier
