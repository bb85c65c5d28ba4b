"""What pages and API say about the configuration: entity types grouped by connector with their
counts, connectors with their connections (secrets masked)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from headcount.config.model import Connector, EntityType, Project
from headcount.errors import NotFound
from headcount.repository.schema import connector_state, resources

SECRET_WORDS = ("password", "secret", "token", "key")


@dataclass(frozen=True)
class EntityTypeInfo:
    connector: str
    entity_type: EntityType
    count: int

    @property
    def label(self) -> str:
        return self.entity_type.display_name or self.entity_type.identifier


def counts(conn: sa.Connection) -> dict[str, int]:
    rows = conn.execute(sa.select(resources.c.entity_type, sa.func.count())
                        .group_by(resources.c.entity_type)).all()
    return {et: int(n) for et, n in rows}


def menu(project: Project, conn: sa.Connection) -> list[tuple[Connector, list[EntityTypeInfo]]]:
    """The left menu: entity types grouped by connector."""
    n = counts(conn)
    return [(c, [EntityTypeInfo(c.identifier, et, n.get(et.identifier, 0))
                 for et in c.entity_types]) for c in project.connectors]


def entity_type(project: Project, name: str) -> tuple[Connector, EntityType]:
    found = project.entity_type(name)
    if found is None:
        raise NotFound(f"no entity type `{name}`")
    return found


def connector(project: Project, name: str) -> Connector:
    found = project.connector(name)
    if found is None:
        raise NotFound(f"no connector `{name}`")
    return found


def masked_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Connection settings as shown: anything that looks like a secret is masked."""
    return {k: ("••••••" if any(w in k.lower() for w in SECRET_WORDS) and v else v)
            for k, v in settings.items() if k != "identifier"}


def blocked_run(conn: sa.Connection, connector_name: str) -> int | None:
    value = conn.execute(sa.select(connector_state.c.blocked_run_id).where(
        connector_state.c.connector == connector_name)).scalar()
    return int(value) if value is not None else None


def list_columns(et: EntityType, limit: int = 6) -> list[str]:
    """The columns of a list: as configured, else the first scalar properties."""
    if et.list_columns:
        return [p.identifier for name in et.list_columns
                if (p := et.find_property(name)) is not None]
    return [p.identifier for p in et.scalar_properties][:limit]
