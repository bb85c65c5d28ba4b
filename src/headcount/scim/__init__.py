"""SCIM 2.0 (RFC 7643, 7644) over the repository, on scim2-server and scim2-models: this round
the read-only view of the identities (docs/scim.md)."""

from headcount.scim.mapping import Mapping, ScimMappingError, resolve
from headcount.scim.service import ReadOnlyService, provider
from headcount.scim.storage import IdentityStorage
from headcount.scim.view import IdentityView

__all__ = ["IdentityStorage", "IdentityView", "Mapping", "ReadOnlyService", "ScimMappingError",
           "provider", "resolve"]
