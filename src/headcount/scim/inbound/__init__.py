"""The inbound SCIM service of each connector of package `pushed` (docs/scim.md): Users written
by HR's SCIM client, kept as documents and pushed as records that the connector's runs apply."""

from headcount.scim.inbound.provider import inbound_provider
from headcount.scim.inbound.storage import KIND, InboundStorage

__all__ = ["KIND", "InboundStorage", "inbound_provider"]
