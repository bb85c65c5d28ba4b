"""The repository as verify compares an upload with it (SPEC §9): the stored resources of an
entity type in the canonical text of an uploaded row, read set-wise — one query for the values,
one for the links — never a query per row."""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa

from headcount.config.model import Connector, EntityType
from headcount.repository.bulk import raw_rows
from headcount.repository.schema import links, resources
from headcount.upload.columns import MULTIVALUE_SEPARATOR

KEY = "__key"


def holds_resources(conn: sa.Connection, connector: Connector) -> bool:
    types = [et.identifier for et in connector.entity_types]
    found = conn.execute(sa.select(resources.c.id).where(resources.c.entity_type.in_(types))
                         .limit(1)).first()
    return found is not None


def stored_keys(conn: sa.Connection, entity_type: str) -> set[str]:
    return {str(k) for (k,) in raw_rows(conn, sa.select(resources.c.key).where(
        resources.c.entity_type == entity_type))}


def stored_frame(conn: sa.Connection, et: EntityType) -> pl.DataFrame:
    """KEY and one text column per property of `et`: what an uploaded row holds for each
    stored resource (navigations as target keys joined by `;`)."""
    scalars = [p.identifier for p in et.scalar_properties]
    navigations = [p.identifier for p in et.properties if p.is_navigation]
    rows = raw_rows(conn, sa.select(resources.c.key, resources.c.data)
                    .where(resources.c.entity_type == et.identifier))
    frame = pl.DataFrame({KEY: [str(k) for k, _ in rows]}, schema={KEY: pl.String})
    if rows and scalars:
        # Decoded by polars, every value as text (a JSON true becomes "true", 12 "12").
        data = pl.Series("data", [d for _, d in rows], dtype=pl.String).str.json_decode(
            pl.Struct({name: pl.String for name in scalars}))
        frame = frame.with_columns(data.struct.unnest())
    else:
        frame = frame.with_columns(pl.lit(None, pl.String).alias(name) for name in scalars)
    frame = frame.with_columns(pl.when(pl.col(name) != "").then(pl.col(name)).alias(name)
                               for name in scalars)
    if not navigations:
        return frame
    pairs = raw_rows(conn, sa.select(resources.c.key, links.c.navigation, links.c.target_key)
                     .join(resources, resources.c.id == links.c.source_id)
                     .where(resources.c.entity_type == et.identifier))
    linked = pl.DataFrame(
        {KEY: [str(k) for k, _, _ in pairs],
         "navigation": [str(n).partition(".")[2] for _, n, _ in pairs],
         "target": [str(t) for _, _, t in pairs]},
        schema={KEY: pl.String, "navigation": pl.String, "target": pl.String})
    joined = linked.filter(pl.col("navigation").is_in(navigations)).sort("target").group_by(
        KEY, "navigation").agg(pl.col("target").str.join(MULTIVALUE_SEPARATOR))
    wide = joined.pivot(on="navigation", index=KEY, values="target") if joined.height \
        else pl.DataFrame({KEY: []}, schema={KEY: pl.String})
    wide = wide.with_columns(pl.lit(None, pl.String).alias(name) for name in navigations
                             if name not in wide.columns)
    return frame.join(wide.select(KEY, *navigations), on=KEY, how="left")
