"""The data model scan (SPEC §9): after a load, how many resources of each entity type of the
upload connector have each property filled, and which properties are so rarely used that the
forms had better hide them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from headcount.config.model import EntityType, Project, Property
from headcount.repository.resources import json_value
from headcount.repository.schema import links, resources
from headcount.upload.columns import label, upload_tabs

HIDE_BELOW = 0.01  # filled in under 1 % of the resources (or never): hide from forms
RARE_BELOW = 0.10  # under 10 %: rarely used


@dataclass(frozen=True)
class PropertyUse:
    prop: Property
    label: str
    filled: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.filled / self.total if self.total else 0.0

    @property
    def suggestion(self) -> str | None:
        """`hide from forms`, `rarely used`, or None; nothing to say before any resource."""
        if not self.total:
            return None
        share = self.filled / self.total
        if share < HIDE_BELOW:
            return "hide from forms"
        return "rarely used" if share < RARE_BELOW else None


@dataclass(frozen=True)
class EntityTypeUse:
    entity_type: EntityType
    label: str
    total: int
    properties: tuple[PropertyUse, ...]


def scan(conn: sa.Connection, project: Project) -> list[EntityTypeUse]:
    """Each entity type of the upload connector, its properties in the template's order (keys
    first), each counted set-wise: one query per entity type."""
    return [_scan(conn, tab.entity_type, tab.name, [c.prop for c in tab.columns])
            for tab in upload_tabs(project)]


def _scan(conn: sa.Connection, et: EntityType, name: str, props: list[Property]
          ) -> EntityTypeUse:
    of_type = resources.c.entity_type == et.identifier
    counts: list[sa.ColumnElement[Any]] = [sa.func.count()]
    for prop in props:
        if prop.is_navigation:
            # A navigation's links are named from their source: `Entity.Navigation`.
            counts.append(sa.select(sa.func.count(sa.distinct(links.c.source_id)))
                          .where(links.c.navigation == f"{et.identifier}.{prop.identifier}")
                          .scalar_subquery())
        else:
            counts.append(sa.func.count(sa.func.nullif(
                json_value(resources.c.data, prop.identifier, conn.dialect.name), "")))
    row = conn.execute(sa.select(*counts).select_from(resources).where(of_type)).one()
    total = int(row[0])
    return EntityTypeUse(et, et.display_name or name, total, tuple(
        PropertyUse(prop, label(prop), int(filled), total)
        for prop, filled in zip(props, row[1:], strict=True)))

