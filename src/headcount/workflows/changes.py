"""The change set a workflow carries (SPEC §7.3): for each resource it touches, the values and
links before and after. Nothing of it reaches the repository before the workflow's Persist
activity, which turns it into the change list every writer applies."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl
import sqlalchemy as sa

from headcount.config.model import Project
from headcount.errors import HeadcountError
from headcount.repository.schema import links, resources
from headcount.sync.changes import LINK_SCHEMA, RESOURCE_SCHEMA, ChangeSet
from headcount.sync.prepare import text_hashes

Kind = Literal["insert", "update", "delete"]


class InvalidChanges(HeadcountError):
    """A change set that names what the configuration does not know."""

    exit_code = 2


@dataclass(frozen=True)
class ResourceChange:
    entity_type: str
    key: str
    kind: Kind
    # property → (before, after)
    values: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    # navigation (its name on the entity type) → (target keys before, after)
    links: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"entity_type": self.entity_type, "key": self.key, "kind": self.kind,
                "values": {p: list(pair) for p, pair in self.values.items()},
                "links": {n: [list(b), list(a)] for n, (b, a) in self.links.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ResourceChange:
        return cls(data["entity_type"], data["key"], data["kind"],
                   {p: (b, a) for p, (b, a) in data.get("values", {}).items()},
                   {n: (list(b), list(a)) for n, (b, a) in data.get("links", {}).items()})


@dataclass(frozen=True)
class WorkflowChanges:
    resources: list[ResourceChange]

    def to_text(self) -> str:
        return json.dumps([r.as_json() for r in self.resources], ensure_ascii=False,
                          separators=(",", ":"))

    @classmethod
    def from_text(cls, text: str) -> WorkflowChanges:
        return cls([ResourceChange.from_json(r) for r in json.loads(text)])

    def check(self, project: Project) -> None:
        """Refuse entity types, properties and navigations the configuration does not know."""
        for change in self.resources:
            found = project.entity_type(change.entity_type)
            if found is None:
                raise InvalidChanges(f"no entity type `{change.entity_type}`")
            et = found[1]
            for name in [*change.values, *change.links]:
                prop = et.find_property(name)
                if prop is None:
                    raise InvalidChanges(f"no property `{name}` on `{et.identifier}`")
                if prop.is_navigation != (name in change.links):
                    raise InvalidChanges(f"`{et.identifier}.{name}` is "
                                         f"{'a navigation' if prop.is_navigation else 'a value'}")


def current(conn: sa.Connection, entity_type: str, key: str) -> tuple[int, dict[str, Any]] | None:
    row = conn.execute(sa.select(resources.c.id, resources.c.data).where(
        resources.c.entity_type == entity_type, resources.c.key == key)).first()
    return None if row is None else (int(row[0]), dict(json.loads(row[1])))


def conflicts(conn: sa.Connection, changes: WorkflowChanges) -> list[str]:
    """What moved in the repository since the change set was written: a value no longer the
    `before` it was proposed over, a resource to create that exists, one to change that went.
    A workflow shows them instead of overwriting."""
    out = []
    for change in changes.resources:
        found = current(conn, change.entity_type, change.key)
        where = f"{change.entity_type} {change.key}"
        if change.kind == "insert":
            if found is not None:
                out.append(f"{where} exists already")
            continue
        if found is None:
            out.append(f"{where} no longer exists")
            continue
        for prop, (before, _) in change.values.items():
            now = found[1].get(prop)
            if now != before:
                out.append(f"{where}: {prop} is now {now!r}, not {before!r}")
        for nav, (before_keys, _) in change.links.items():
            held = sorted(_linked(conn, found[0], f"{change.entity_type}.{nav}"))
            if held != sorted(before_keys):
                out.append(f"{where}: {nav} is now {', '.join(held) or 'empty'}, not "
                           f"{', '.join(sorted(before_keys)) or 'empty'}")
    return out


def _linked(conn: sa.Connection, source_id: int, navigation: str) -> list[str]:
    return [str(k) for k in conn.execute(sa.select(links.c.target_key).where(
        links.c.source_id == source_id, links.c.navigation == navigation)).scalars()]


def change_set(conn: sa.Connection, project: Project, changes: WorkflowChanges,
               provenance: str) -> ChangeSet:
    """The change list of a persisted workflow, as every writer applies it; `provenance` is
    what its history names as the source of each value."""
    rows: list[dict[str, Any]] = []
    link_rows: list[dict[str, Any]] = []
    for change in changes.resources:
        found = project.entity_type(change.entity_type)
        assert found is not None
        et = found[1]
        names = [p.identifier for p in et.scalar_properties]
        stored = current(conn, et.identifier, change.key)
        values = stored[1] if stored else {}
        base = {"entity_type": et.identifier, "key": change.key, "connection": provenance,
                "line": None}
        if change.kind == "insert":
            record = {n: change.values.get(n, (None, None))[1] for n in names}
            rows.append({**base, "kind": "insert", "data": _json(record), "after": None})
        elif change.kind == "update":
            after = {n: values.get(n) for n in names} | {
                p: a for p, (_, a) in change.values.items()}
            rows.append({**base, "kind": "update", "after": _json(after),
                         "data": _json({p: [b, a] for p, (b, a) in change.values.items()})})
        else:
            rows.append({**base, "kind": "delete", "data": _json(values), "after": None})
            continue  # its links go with it
        for nav, (before, after_keys) in change.links.items():
            prop = et.find_property(nav)
            assert prop is not None
            assert prop.target is not None
            link = {"entity_type": et.identifier, "key": change.key,
                    "navigation": f"{et.identifier}.{prop.identifier}",
                    "target_type": prop.target, "connection": provenance, "line": None}
            link_rows += [{**link, "kind": "link_insert", "target_key": k}
                          for k in after_keys if k not in before]
            link_rows += [{**link, "kind": "link_delete", "target_key": k}
                          for k in before if k not in after_keys]
    frame = pl.DataFrame(rows, schema={k: v for k, v in RESOURCE_SCHEMA.items() if k != "hash"})
    whole = pl.when(pl.col("kind") == "update").then(pl.col("after")).otherwise(pl.col("data"))
    hashes = text_hashes(frame.select(whole.alias("t")).to_series()) if frame.height \
        else pl.Series("hash", [], dtype=pl.Int64)
    frame = frame.with_columns(hashes.alias("hash")).select(list(RESOURCE_SCHEMA))
    return ChangeSet(frame, pl.DataFrame(link_rows, schema=LINK_SCHEMA))


def _json(values: dict[str, Any]) -> str:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))
