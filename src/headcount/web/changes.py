"""Changes and provisioning orders as people read them (issue 12, SPEC §12, §15.1): one line per
change — its kind in words, the resource and every link target by display name with the key
beside it, properties by their labels, "Title: Développeur → Développeur principal" — and
where it came from, in provenance's words ("HR file hr_people.csv line 812").

The same lines serve a resource's History tab, a job result's change list, its provisioning
orders and their exports. Names are looked up set-wise: one query per page of lines."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from headcount.config.model import EntityType, Project
from headcount.display import shown
from headcount.repository.changelist import ChangeRow
from headcount.repository.names import display_names
from headcount.repository.provenance import Origin
from headcount.repository.resources import HistoryEntry
from headcount.web.api.models import OrderOut
from headcount.web.i18n import gettext as _
from headcount.web.words import change_kind, order_kind


@dataclass(frozen=True)
class Named:
    """A resource as a page shows it: its name, the key beside it, a link while it exists."""

    entity_type: str
    key: str
    name: str
    exists: bool = True

    @property
    def url(self) -> str:
        return f"/entity-types/{quote(self.entity_type)}/{quote(self.key, safe='')}"

    @property
    def text(self) -> str:
        """'Moreau Élodie (E00154)', or the key alone when it is the name."""
        return self.key if self.name == self.key else f"{self.name} ({self.key})"


@dataclass(frozen=True)
class Value:
    label: str
    text: str


@dataclass(frozen=True)
class Link:
    """A navigation's change: the targets before and after (a link change has one side)."""

    label: str
    before: tuple[Named, ...] = ()
    after: tuple[Named, ...] = ()


@dataclass(frozen=True)
class ChangeLine:
    code: str  # insert, update, delete, link_insert, link_delete
    kind: str  # in words
    resource: Named
    entity_type_name: str
    values: list[Value] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    origin: str = ""
    run_id: int | None = None
    at: datetime | None = None

    @property
    def detail(self) -> str:
        """The values and links as one text (exports)."""
        parts = [f"{v.label}: {v.text}" for v in self.values]
        parts += [f"{n.label}: " + " → ".join(", ".join(t.text for t in side) or "—"
                                              for side in _sides(n)) for n in self.links]
        return "; ".join(parts)


@dataclass(frozen=True)
class OrderLine:
    code: str  # added, modified, deleted
    kind: str
    resource_type: str
    target: Named
    source: Named | None
    values: list[Value] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)

    @property
    def detail(self) -> str:
        parts = [f"{v.label}: {v.text}" for v in self.values]
        parts += [f"{n.label}: " + " → ".join(", ".join(t.text for t in side) or "—"
                                              for side in (n.before, n.after))
                  for n in self.links]
        return "; ".join(parts)


def _sides(link: Link) -> list[tuple[Named, ...]]:
    return [side for side in (link.before, link.after) if side]


@dataclass(frozen=True)
class _Change:
    kind: str
    entity_type: str
    key: str
    data: str | None
    links: tuple[tuple[str, str | None, str], ...]  # (navigation, target type, target key)
    connection: str | None
    line: int | None
    run_id: int | None = None
    at: datetime | None = None
    origin: str = ""


class Wording:
    """Labels and names of one project, for the lines of one page."""

    def __init__(self, project: Project) -> None:
        self.project = project

    def entity_type(self, identifier: str) -> EntityType | None:
        found = self.project.entity_type(identifier)
        return found[1] if found else None

    def label(self, entity_type: str, prop: str) -> str:
        et = self.entity_type(entity_type)
        p = et.find_property(prop) if et else None
        return (p.display_name or p.identifier) if p else prop

    def type_name(self, entity_type: str) -> str:
        et = self.entity_type(entity_type)
        return (et.display_name or et.identifier) if et else entity_type

    def target_type(self, entity_type: str, navigation: str) -> str | None:
        et = self.entity_type(entity_type)
        p = et.find_property(navigation.rpartition(".")[2]) if et else None
        return p.target if p else None

    def named(self, names: dict[tuple[str, str], str], entity_type: str, key: str,
              fallback: str | None = None) -> Named:
        if (entity_type, key) in names:
            return Named(entity_type, key, names[(entity_type, key)])
        return Named(entity_type, key, fallback or key, exists=False)


def history_lines(conn: sa.Connection, project: Project, et: EntityType, key: str,
                  entries: Sequence[HistoryEntry]) -> list[ChangeLine]:
    """A resource's History tab: its recorded changes as lines, oldest first."""
    wording = Wording(project)
    changes = [_Change(
        h.kind, et.identifier, key, h.data,
        ((h.navigation, wording.target_type(et.identifier, h.navigation), h.target_key),)
        if h.navigation and h.target_key else (),
        h.connection, h.line, h.run_id, h.at, _origin(project, h)) for h in entries]
    return _lines(conn, wording, changes)


def _origin(project: Project, entry: HistoryEntry) -> str:
    """Provenance's sentence; a change the policy wrote names its resource type as such."""
    if entry.file is None and entry.source in {rt.identifier for rt in project.resource_types}:
        return _("resource type %(name)s", name=entry.source)
    return entry.source


def run_change_lines(conn: sa.Connection, project: Project, run_id: int, mode: str,
                     files: Sequence[dict[str, Any]], rows: Sequence[ChangeRow]
                     ) -> list[ChangeLine]:
    """A page of a run's change list (or staged changes) as lines."""
    wording = Wording(project)
    by_connection = {f.get("connection"): f for f in files}
    changes = []
    for r in rows:
        links: tuple[tuple[str, str | None, str], ...] = tuple(
            (n.navigation, n.target_type, n.target_key) for n in r.links)
        if r.navigation and r.target_key:
            links = ((r.navigation, wording.target_type(r.entity_type, r.navigation),
                      r.target_key),)
        origin = Origin(0, run_id, mode, None, r.kind, r.connection,
                        by_connection.get(r.connection, {}).get("name"), r.line, None)
        changes.append(_Change(r.kind, r.entity_type, r.key, r.data, links, r.connection,
                               r.line, run_id, None, origin.where() if r.connection else ""))
    return _lines(conn, wording, changes)


def _lines(conn: sa.Connection, wording: Wording, changes: Sequence[_Change]
           ) -> list[ChangeLine]:
    refs = {(c.entity_type, c.key) for c in changes}
    refs |= {(t, k) for c in changes for _, t, k in c.links if t}
    names = display_names(conn, wording.project, refs)
    lines = []
    for c in changes:
        decoded: dict[str, Any] = json.loads(c.data) if c.data and c.kind in (
            "insert", "update", "delete") else {}
        et = wording.entity_type(c.entity_type)
        # A deleted resource is gone: its name is read from the values the delete recorded.
        fallback = et.display(decoded).strip() if et and c.kind == "delete" else None
        values = []
        if c.kind == "update":
            values = [Value(wording.label(c.entity_type, p), f"{shown(b)} → {shown(a)}")
                      for p, (b, a) in decoded.items()]
        elif c.kind == "insert":
            values = [Value(wording.label(c.entity_type, p), shown(v))
                      for p, v in decoded.items()]
        links = []
        for navigation, target_type, target_key in c.links:
            target = wording.named(names, target_type, target_key) if target_type \
                else Named("", target_key, target_key, exists=False)
            side = "before" if c.kind == "link_delete" else "after"
            links.append(Link(wording.label(c.entity_type, navigation.rpartition(".")[2]),
                              **{side: (target,)}))
        lines.append(ChangeLine(
            c.kind, change_kind(c.kind), wording.named(names, c.entity_type, c.key, fallback),
            wording.type_name(c.entity_type), values, links, c.origin, c.run_id, c.at))
    return lines


def order_lines(conn: sa.Connection, project: Project, orders: Iterable[OrderOut]
                ) -> list[OrderLine]:
    """A page of a run's provisioning orders as lines: target and source by name, the values
    and links they change by label, the links' targets by name."""
    wording = Wording(project)
    listed = list(orders)
    types = {rt.identifier: rt for rt in project.resource_types}
    refs: set[tuple[str, str]] = set()
    for o in listed:
        rt = types.get(o.resource_type)
        if rt is None:
            continue
        refs.add((rt.target, o.target_key))
        if o.source_key:
            refs.add((rt.source, o.source_key))
        for navigation, pair in (o.changes.get("links") or {}).items():
            target = wording.target_type(rt.target, navigation)
            if target:
                refs |= {(target, k) for side in pair for k in _keys(side)}
    names = display_names(conn, project, refs)
    lines = []
    for o in listed:
        rt = types.get(o.resource_type)
        target_type = rt.target if rt else ""
        values = [Value(wording.label(target_type, p), f"{shown(b)} → {shown(a)}")
                  for p, (b, a) in (o.changes.get("values") or {}).items()]
        links = []
        for navigation, (before, after) in (o.changes.get("links") or {}).items():
            nav_target = wording.target_type(target_type, navigation) or ""
            links.append(Link(wording.label(target_type, navigation.rpartition(".")[2]),
                              tuple(wording.named(names, nav_target, k) for k in _keys(before)),
                              tuple(wording.named(names, nav_target, k) for k in _keys(after))))
        lines.append(OrderLine(
            o.kind, order_kind(o.kind), o.resource_type,
            wording.named(names, target_type, o.target_key),
            wording.named(names, rt.source, o.source_key) if rt and o.source_key else None,
            values, links))
    return lines


def _keys(side: Any) -> list[str]:
    if side is None:
        return []
    if isinstance(side, list | tuple):
        return [str(k) for k in side if k is not None]
    return [str(side)]
