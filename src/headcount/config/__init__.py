"""The declarative model: schema, loading with line numbers, validation, reload."""

from headcount.config.loader import load_project_config
from headcount.config.model import (
    AssociationMapping,
    Connection,
    Connector,
    EntityType,
    EntityTypeMapping,
    Project,
    Property,
    PropertyType,
    Thresholds,
)

__all__ = [
    "AssociationMapping",
    "Connection",
    "Connector",
    "EntityType",
    "EntityTypeMapping",
    "Project",
    "Property",
    "PropertyType",
    "Thresholds",
    "load_project_config",
]
