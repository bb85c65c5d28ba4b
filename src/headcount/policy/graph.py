"""The resources a policy evaluation reads, held in memory with their links, so that a binding
such as `Organization.Code` is followed without a query per resource."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from headcount.repository.bulk import raw_rows
from headcount.repository.schema import links, resources


def decoded(texts: list[str]) -> list[dict[str, Any]]:
    """JSON objects decoded as one array per batch: faster than one call each, and the
    property names are one string shared by every resource (a name per resource was a third of
    a person's memory)."""
    out: list[dict[str, Any]] = []
    for start in range(0, len(texts), _BATCH):
        out += json.loads("[" + ",".join(texts[start:start + _BATCH]) + "]")
    return out


_BATCH = 50_000


@dataclass(slots=True)
class Node:
    id: int
    entity_type: str
    key: str
    values: dict[str, Any]


@dataclass
class Graph:
    nodes: dict[int, Node] = field(default_factory=dict)
    by_key: dict[tuple[str, str], int] = field(default_factory=dict)
    # (source id, navigation name) → target keys, resolved or not
    targets: dict[tuple[int, str], list[tuple[str, int | None]]] = field(default_factory=dict)
    _by_type: dict[str, list[Node]] = field(default_factory=dict)
    # A scoped graph (policy/scope.py) holds some resources of its types, not all: what needs
    # all of them (a count, whether a key exists) asks the database through `conn`.
    scoped: bool = False
    conn: sa.Connection | None = None
    loader: Any = None
    steps: int = 1
    _counts: dict[str, int] = field(default_factory=dict)
    _navigations: dict[int, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: sa.Connection, entity_types: Iterable[str]) -> Graph:
        graph = cls()
        types = sorted(set(entity_types))
        # Plain driver rows: a million links go through SQLAlchemy's row objects slowly.
        rows = raw_rows(conn, sa.select(
            resources.c.id, resources.c.entity_type, resources.c.key, resources.c.data)
            .where(resources.c.entity_type.in_(types)))
        graph.add_rows(rows)
        # The links of these types, read by the navigations' names (`HR_Person.Manager`):
        # one scan rather than a probe per resource id.
        navigations = [n for (n,) in conn.execute(sa.select(links.c.navigation).distinct())
                       if n.partition(".")[0] in types]
        if navigations:
            for source, nav, tkey, tid in raw_rows(conn, sa.select(
                    links.c.source_id, links.c.navigation, links.c.target_key,
                    links.c.target_id).where(links.c.navigation.in_(navigations))):
                if source in graph.nodes:
                    graph.add_link(source, nav.partition(".")[2], tkey, tid)
        return graph

    def add_rows(self, rows: list[tuple[int, str, str, str]]) -> list[int]:
        """Adds resources read as (id, entity type, key, JSON data); their ids."""
        for (rid, et, key, _), values in zip(rows, decoded([r[3] for r in rows]), strict=True):
            self.add(Node(rid, et, key, values))
        return [r[0] for r in rows]

    def add(self, node: Node) -> None:
        self.nodes[node.id] = node
        self.by_key[(node.entity_type, node.key)] = node.id
        self._by_type.setdefault(node.entity_type, []).append(node)

    def of_type(self, entity_type: str) -> list[Node]:
        return list(self._by_type.get(entity_type, []))

    def held(self, entity_type: str) -> int:
        """How many resources of the type the graph holds (loaded, for a scoped one)."""
        return len(self._by_type.get(entity_type, []))

    def added_since(self, entity_type: str, held: int) -> list[Node]:
        """The resources of the type added after the graph held `held` of them."""
        return self._by_type.get(entity_type, [])[held:]

    def count(self, entity_type: str) -> int:
        """How many resources of the type the repository holds (not only those loaded)."""
        if not self.scoped or self.conn is None:
            return len(self._by_type.get(entity_type, []))
        if entity_type not in self._counts:
            self._counts[entity_type] = int(self.conn.execute(
                sa.select(sa.func.count()).select_from(resources)
                .where(resources.c.entity_type == entity_type)).scalar_one())
        return self._counts[entity_type]

    def add_link(self, source: int, navigation: str, key: str, target: int | None) -> None:
        self.targets.setdefault((source, navigation), []).append((key, target))
        self._navigations.setdefault(source, []).append(navigation)

    def reached(self, node_id: int) -> list[int]:
        """The resolved targets of a resource's links."""
        return [t for nav in dict.fromkeys(self._navigations.get(node_id, ()))
                for _, t in self.targets.get((node_id, nav), []) if t is not None]

    def linked_keys(self, node: Node, navigation: str) -> list[str]:
        return sorted(k for k, _ in self.targets.get((node.id, navigation), []))

    def value(self, node: Node, binding: str) -> Any:
        """The value a binding reaches from a resource; None where a link is missing. A
        multi-valued step takes the first target (sorted by key)."""
        if "." not in binding:
            if binding in node.values:
                return node.values[binding]
            keys = self.linked_keys(node, binding)
            return keys[0] if keys else None
        current: Node | None = node
        parts = binding.split(".")
        for part in parts[:-1]:
            assert current is not None
            found = [t for _, t in sorted(self.targets.get((current.id, part), []),
                                          key=lambda kt: kt[0]) if t is not None]
            current = self.nodes.get(found[0]) if found else None
            if current is None:
                return None
        assert current is not None
        last = parts[-1]
        if last in current.values:
            return current.values[last]
        keys = self.linked_keys(current, last)
        return keys[0] if keys else None
