"""A correlation case seen by the person who decides it (SPEC §6.1): the source beside each
candidate target — the values the correlation rules compare, which of them match once
normalised, and what the scalar rules would write — read with a few queries, not the whole
graph the evaluation loads."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from headcount.config.model import EntityType, Project
from headcount.config.resource_type import ResourceType
from headcount.errors import HeadcountError
from headcount.policy.cases import Case
from headcount.policy.correlation import normalise
from headcount.policy.evaluation import PolicyError
from headcount.policy.expressions import Tables
from headcount.policy.graph import Graph, Node
from headcount.repository.schema import links, resources


@dataclass(frozen=True)
class BindingMatch:
    """One source binding against one target binding of a correlation rule."""

    source: str
    target: str
    source_value: Any
    target_value: Any
    matched: bool


@dataclass(frozen=True)
class RuleMatch:
    confidence: int
    bindings: tuple[BindingMatch, ...]

    @property
    def matched(self) -> bool:
        return all(b.matched for b in self.bindings)


@dataclass(frozen=True)
class Side:
    """A resource as shown in the comparison: None values when it no longer exists."""

    entity_type: str
    key: str
    exists: bool
    display_name: str
    values: dict[str, Any]


@dataclass
class Candidate:
    side: Side
    rules: list[RuleMatch] = field(default_factory=list)

    @property
    def matched_properties(self) -> set[str]:
        return {b.target for r in self.rules for b in r.bindings if b.matched}

    @property
    def score(self) -> int:
        """The highest confidence of the rules it matches whole, today (the case keeps the
        score it had when opened: `Case.scored`)."""
        return max((r.confidence for r in self.rules if r.matched), default=0)


@dataclass(frozen=True)
class MappedValue:
    """A scalar rule: what it would write from the source, what each candidate holds."""

    target: str
    rule: str  # `source: Title` or `expression: …`
    proposed: Any
    current: tuple[Any, ...]  # per candidate, in the candidates' order
    same: tuple[bool, ...]


@dataclass
class Comparison:
    case: Case
    source: Side
    candidates: list[Candidate]
    mapped: list[MappedValue]

    @property
    def matched_source_bindings(self) -> set[str]:
        return {b.source for c in self.candidates for r in c.rules for b in r.bindings
                if b.matched}


def compare(conn: sa.Connection, project: Project, case: Case,
            now: datetime | None = None) -> Comparison:
    rt = next((r for r in project.resource_types
               if r.identifier.lower() == case.resource_type.lower()), None)
    if rt is None:
        raise PolicyError(f"correlation case {case.id}: resource type `{case.resource_type}` "
                          "is no longer deployed")
    source_et, target_et = _entity_type(project, rt.source), _entity_type(project, rt.target)
    bindings = [b for r in rt.correlation for b in (*r.source, *r.target)]
    bindings += [s.source for s in rt.scalars if s.source]
    starts = [(source_et.identifier, case.source_key)]
    starts += [(target_et.identifier, k) for k in case.candidates]
    graph = _partial_graph(conn, starts, bindings)
    source_node = _node(graph, source_et.identifier, case.source_key)
    source = _side(source_et, case.source_key, source_node)
    candidates = []
    for key in case.candidates:
        node = _node(graph, target_et.identifier, key)
        candidate = Candidate(_side(target_et, key, node))
        for rule in sorted(rt.correlation, key=lambda r: -r.confidence):
            candidate.rules.append(RuleMatch(rule.confidence, tuple(
                _binding(graph, source_node, node, s, t, rule.normalise)
                for s, t in zip(rule.source, rule.target, strict=True))))
        candidates.append(candidate)
    return Comparison(case, source, candidates,
                      _mapped(graph, rt, source_node, candidates, now or datetime.now(UTC),
                              project.lookup_tables()))


def _entity_type(project: Project, name: str) -> EntityType:
    found = project.entity_type(name)
    if found is None:
        raise PolicyError(f"unknown entity type `{name}`")
    return found[1]


def _node(graph: Graph, entity_type: str, key: str) -> Node | None:
    found = graph.by_key.get((entity_type, key))
    return graph.nodes[found] if found is not None else None


def _side(et: EntityType, key: str, node: Node | None) -> Side:
    values = dict(node.values) if node is not None else {}
    return Side(et.identifier, key, node is not None, et.display(values), values)


def _binding(graph: Graph, source: Node | None, target: Node | None, s: str, t: str,
             steps: list[Any]) -> BindingMatch:
    sv = graph.value(source, s) if source is not None else None
    tv = graph.value(target, t) if target is not None else None
    left, right = normalise(sv, steps), normalise(tv, steps)
    return BindingMatch(s, t, sv, tv, bool(left) and left == right)


def _mapped(graph: Graph, rt: ResourceType, source: Node | None, candidates: list[Candidate],
            now: datetime, tables: Tables) -> list[MappedValue]:
    from headcount.policy.expressions import compile_expression

    out = []
    for rule in rt.scalars:
        proposed: Any = None
        if source is not None and rule.source is not None:
            proposed = graph.value(source, rule.source)
        elif source is not None and rule.expression is not None:
            expression = compile_expression(rule.expression, tables=tables)
            values = {n: graph.value(source, n) for n in expression.names}
            try:
                proposed = expression.evaluate(values, today=now.date())
            except HeadcountError:  # a value the expression refuses: shown as none
                proposed = None
        current = tuple(c.side.values.get(rule.target) for c in candidates)
        same = tuple(normalise(proposed, ["whitespace", "case", "diacritics"])
                     == normalise(v, ["whitespace", "case", "diacritics"]) and v is not None
                     for v in current)
        text = f"source: {rule.source}" if rule.source else f"expression: {rule.expression}"
        if rule.when == "on_create":  # a link keeps the candidate's value
            text += " (only when creating)"
        out.append(MappedValue(rule.target, text, proposed, current, same))
    return out


def _partial_graph(conn: sa.Connection, starts: list[tuple[str, str]], bindings: list[str]
                   ) -> Graph:
    """The start resources, and what their bindings reach through navigations: one query for
    the resources and one for the links per step of the longest binding."""
    graph = Graph()
    rows = conn.execute(sa.select(resources.c.id, resources.c.entity_type, resources.c.key,
                                  resources.c.data)
                        .where(keyed(starts))).all()
    frontier = _add(graph, rows)
    depth = max((b.count(".") for b in bindings), default=0)
    for step in range(depth + 1):
        if not frontier:
            break
        reached: set[int] = set()
        for source_id, nav, tkey, tid in conn.execute(
                sa.select(links.c.source_id, links.c.navigation, links.c.target_key,
                          links.c.target_id).where(links.c.source_id.in_(frontier))):
            graph.targets.setdefault((source_id, nav.partition(".")[2]), []).append((tkey, tid))
            if tid is not None and tid not in graph.nodes:
                reached.add(tid)
        if step == depth or not reached:
            break
        frontier = _add(graph, conn.execute(
            sa.select(resources.c.id, resources.c.entity_type, resources.c.key,
                      resources.c.data).where(resources.c.id.in_(sorted(reached)))).all())
    return graph


def keyed(pairs: Iterable[tuple[str, str]]) -> sa.ColumnElement[bool]:
    """Resources by (entity type, key): keys grouped by entity type, so that SQLite searches
    its (entity_type, key) index — a row-value IN makes it scan the table."""
    by_type: dict[str, set[str]] = {}
    for et, key in pairs:
        by_type.setdefault(et, set()).add(key)
    return sa.or_(sa.false(), *(sa.and_(resources.c.entity_type == et,
                                        resources.c.key.in_(sorted(keys)))
                                for et, keys in sorted(by_type.items())))


def _add(graph: Graph, rows: Any) -> list[int]:
    return graph.add_rows(list(rows))


def source_names(conn: sa.Connection, project: Project, cases: list[Case]) -> dict[int, str]:
    """The display name of each case's source (a list shows people, not keys), in one query."""
    types = {rt.identifier: project.entity_type(rt.source) for rt in project.resource_types}
    wanted = {c.id: (found[1], c.source_key) for c in cases
              if (found := types.get(c.resource_type)) is not None}
    if not wanted:
        return {}
    rows = conn.execute(sa.select(resources.c.entity_type, resources.c.key, resources.c.data)
                        .where(keyed({(et.identifier, k) for et, k in wanted.values()}))
                        ).all()
    data = {(et, k): json.loads(d) for et, k, d in rows}
    return {cid: et.display(data[(et.identifier, k)]) for cid, (et, k) in wanted.items()
            if (et.identifier, k) in data}
