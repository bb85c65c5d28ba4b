"""The `sso:` section: log-in through an OpenID Connect provider (issue 12 item 9), its groups
mapped to headcount's roles. The client secret is never written here: only the name of the
environment variable holding it."""

from __future__ import annotations

import ipaddress
import os
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from headcount.config.base import ConfigModel
from headcount.config.notifications import Role


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SingleSignOn(ConfigModel):
    """The top-level `sso:` section (absent: local accounts only)."""

    issuer: str = Field(
        description="The provider's issuer, e.g. https://login.example.com/realms/staff: its "
                    "settings are read from `<issuer>/.well-known/openid-configuration`. "
                    "https:// (http:// only on this machine, for tests).")
    client_id: str = Field(min_length=1, description="headcount's client id at the provider.")
    client_secret_env: str = Field(
        "HEADCOUNT_OIDC_SECRET", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="The environment variable holding the client secret.")
    scopes: list[str] = Field(
        default_factory=lambda: ["openid", "profile", "email"],
        description="The scopes asked for; `openid` is required. Add the one that makes the "
                    "provider send the groups (often `groups`).")
    groups_claim: str = Field(
        "groups", min_length=1,
        description="The claim of the ID token (or of the userinfo answer) listing the user's "
                    "groups.")
    roles: dict[str, Role] = Field(
        default_factory=dict,
        description="Group → role. At each log-in the first group of this list that the user "
                    "belongs to gives their role.")
    default_role: Role | None = Field(
        None, description="The role of a user in no group of `roles`; none: such a user is "
                          "refused.")
    button_label: str = Field(
        "single sign-on", min_length=1, max_length=80,
        description="The log-in page's button reads “Sign in with <button_label>”.")

    @field_validator("issuer")
    @classmethod
    def _secure(cls, value: str) -> str:
        parts = urlsplit(value)
        local = parts.scheme == "http" and _loopback(parts.hostname or "")
        if not parts.hostname or not (parts.scheme == "https" or local) or parts.query \
                or parts.fragment:
            raise PydanticCustomError(
                "not_an_issuer", "issuer `{value}` is not an https:// address without query "
                                 "(http:// only for localhost)", {"value": value})
        return value.rstrip("/")

    @field_validator("scopes")
    @classmethod
    def _openid(cls, value: list[str]) -> list[str]:
        if "openid" not in value:
            raise PydanticCustomError(
                "no_openid", "the scopes must include `openid`", {})
        return value

    @field_validator("roles", mode="before")
    @classmethod
    def _groups_as_text(cls, value: Any) -> Any:
        # YAML reads a group named `true` or `2024` as a bool or a number: it is a name.
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}
        return value

    def client_secret(self) -> str | None:
        """The secret from the environment (None when the variable is unset or empty: the
        log-in page says single sign-on is not ready)."""
        return os.environ.get(self.client_secret_env) or None

    def role_of(self, groups: list[str]) -> str | None:
        """The role the groups give, or `default_role` (None: refused)."""
        member = set(groups)
        return next((role for group, role in self.roles.items() if group in member),
                    self.default_role)
