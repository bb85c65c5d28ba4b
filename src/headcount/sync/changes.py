"""Change sets: what a run will do, as two tables (resource changes and link changes). They are
staged in the repository before being applied, so a blocked run can show them and a resume can
apply exactly them."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

RESOURCE_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "kind": pl.String,  # insert | update | delete | rehash
    "entity_type": pl.String,
    "key": pl.String,
    "data": pl.String,
    "after": pl.String,
    "hash": pl.Int64,
    "connection": pl.String,
    "line": pl.Int64,
}
LINK_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "kind": pl.String,  # link_insert | link_delete
    "entity_type": pl.String,
    "key": pl.String,
    "navigation": pl.String,
    "target_type": pl.String,
    "target_key": pl.String,
    "connection": pl.String,
    "line": pl.Int64,
}


def empty_resources() -> pl.DataFrame:
    return pl.DataFrame(schema=RESOURCE_SCHEMA)


def empty_links() -> pl.DataFrame:
    return pl.DataFrame(schema=LINK_SCHEMA)


@dataclass
class ChangeSet:
    resources: pl.DataFrame = field(default_factory=empty_resources)
    links: pl.DataFrame = field(default_factory=empty_links)

    def extend(self, other: ChangeSet) -> None:
        self.resources = pl.concat([self.resources, other.resources.select(list(RESOURCE_SCHEMA))])
        self.links = pl.concat([self.links, other.links.select(list(LINK_SCHEMA))])

    def touched(self) -> dict[str, set[str]]:
        """entity type → the keys of the resources whose values or links change."""
        out: dict[str, set[str]] = {}
        for frame in (self.resources, self.links):
            for (et,), keys in frame.select("entity_type", "key").unique().group_by(
                    "entity_type"):
                out.setdefault(str(et), set()).update(keys.get_column("key").to_list())
        return out

    def counts(self) -> dict[str, dict[str, int]]:
        """Per entity type: inserted, updated, deleted, links_inserted, links_deleted."""
        out: dict[str, dict[str, int]] = {}
        names = {"insert": "inserted", "update": "updated", "delete": "deleted",
                 "link_insert": "links_inserted", "link_delete": "links_deleted"}
        for frame in (self.resources, self.links):
            grouped = frame.group_by("entity_type", "kind").len()
            for et, kind, n in grouped.iter_rows():
                if kind in names:
                    out.setdefault(et, {})[names[kind]] = n
        return out

    def totals(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for per_type in self.counts().values():
            for name, n in per_type.items():
                total[name] = total.get(name, 0) + n
        return total
