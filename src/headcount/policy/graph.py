"""The resources a policy evaluation reads, held in memory with their links, so that a binding
such as `Organization.Code` is followed without a query per resource."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from headcount.repository.schema import links, resources


@dataclass
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

    @classmethod
    def load(cls, conn: sa.Connection, entity_types: Iterable[str]) -> Graph:
        graph = cls()
        types = sorted(set(entity_types))
        for rid, et, key, data in conn.execute(
                sa.select(resources.c.id, resources.c.entity_type, resources.c.key,
                          resources.c.data).where(resources.c.entity_type.in_(types))):
            graph.nodes[rid] = Node(rid, et, key, json.loads(data))
            graph.by_key[(et, key)] = rid
        ids = list(graph.nodes)
        for start in range(0, len(ids), 50_000):
            chunk = ids[start:start + 50_000]
            for source, nav, tkey, tid in conn.execute(
                    sa.select(links.c.source_id, links.c.navigation, links.c.target_key,
                              links.c.target_id).where(links.c.source_id.in_(chunk))):
                name = nav.partition(".")[2]
                graph.targets.setdefault((source, name), []).append((tkey, tid))
        return graph

    def of_type(self, entity_type: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.entity_type == entity_type]

    def linked_keys(self, node: Node, navigation: str) -> list[str]:
        return sorted(k for k, _ in self.targets.get((node.id, navigation), []))

    def value(self, node: Node, binding: str) -> Any:
        """The value a binding reaches from a resource; None where a link is missing. A
        multi-valued step takes the first target (sorted by key)."""
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
