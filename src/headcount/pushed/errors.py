"""Why a pushed request is refused as a whole (not one of its operations)."""

from __future__ import annotations

from headcount.errors import HeadcountError


class PushRefused(HeadcountError):
    """A request refused whole, with the HTTP status that says why and the SCIM error type."""

    def __init__(self, message: str, status: int = 400, scim_type: str = "invalidSyntax"
                 ) -> None:
        self.status = status
        self.scim_type = scim_type
        super().__init__(message)
