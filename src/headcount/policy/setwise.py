"""Set-wise evaluation of a resource type (SPEC §6.1, §6.3): the values its rules bind, read once
per source into columns (a dotted binding `Organization.Code` followed once per organization,
not once per person), its type rules as one filter, and its scalar rules as polars columns where
the expression has a columnar form. The decision loop then reads a row where it called the graph
and ran the expression per source; what has no columnar form is still computed per row, with the
same values, so the orders are those of the per-row path."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from headcount.config.resource_type import ResourceType
from headcount.policy.columnar import columnar
from headcount.policy.expressions import Expression, Tables
from headcount.policy.graph import Graph, Node

__all__ = ["SourceFrame"]

_MISSING = object()


class SourceFrame:
    """The sources of a resource type with the values their rules bind, one row per source."""

    def __init__(self, graph: Graph, nodes: Sequence[Node], bindings: Iterable[str]) -> None:
        self.graph = graph
        self.row = {n.id: i for i, n in enumerate(nodes)}
        steps: dict[str, list[Node | None]] = {}
        self.columns: dict[str, list[Any]] = {b: _column(graph, nodes, b, steps)
                                              for b in sorted(set(bindings))}
        self._texts: pl.DataFrame | None = None

    def value(self, node: Node, binding: str) -> Any:
        """What `Graph.value` gives, read from the columns when the node is a row."""
        i = self.row.get(node.id)
        column = self.columns.get(binding)
        if i is None or column is None:
            return self.graph.value(node, binding)
        return column[i]

    def text_frame(self) -> pl.DataFrame:
        """The columns that hold only text (or nothing), as a polars frame: those a columnar
        expression may read."""
        if self._texts is None:
            texts = {b: values for b, values in self.columns.items()
                     if all(v is None or type(v) is str for v in values)}
            self._texts = pl.DataFrame({b: pl.Series(b, v, dtype=pl.String)
                                        for b, v in texts.items()},
                                       height=len(self.row))
        return self._texts

    def computed(self, expressions: Sequence[Expression], tables: Tables
                 ) -> list[list[Any] | None]:
        """Per expression, its value on every row, or None when it has no columnar form over
        these columns (a number, a date, today()): all of them in one pass over the frame."""
        frame = self.text_frame()
        forms = [columnar(e, tables) if e.names <= set(frame.columns) else None
                 for e in expressions]
        named = [f.alias(f"_{n}") for n, f in enumerate(forms) if f is not None]
        # with_columns: a constant expression gives its value on every row
        out = frame.with_columns(named) if named else frame
        return [None if f is None else out[f"_{n}"].to_list() for n, f in enumerate(forms)]

    def passing(self, rt: ResourceType) -> list[bool]:
        """Per row, whether a type rule of the resource type keeps the source."""
        if not rt.type_rules:
            return [True] * len(self.row)
        frame = pl.DataFrame({b: pl.Series(b, [None if v is None else str(v)
                                               for v in self.columns[b]], dtype=pl.String)
                              for rule in rt.type_rules for b in rule.filter},
                             height=len(self.row))
        kept = pl.lit(False)
        for rule in rt.type_rules:
            every = pl.lit(True)
            for binding, wanted in rule.filter.items():
                allowed = wanted if isinstance(wanted, list) else [wanted]
                texts = pl.Series([a for a in allowed if a is not None], dtype=pl.String)
                column = pl.col(binding)
                every = every & pl.when(column.is_null()).then(pl.lit(None in allowed)) \
                    .otherwise(column.is_in(pl.lit(texts).implode()))
            kept = kept | every
        return [bool(v) for v in frame.select(kept.alias("_")).to_series().to_list()]


def bindings_of(rt: ResourceType, expressions: Iterable[Expression]) -> set[str]:
    """Every binding the rules of a resource type read from a source, correlation aside."""
    out = {b for rule in rt.type_rules for b in rule.filter}
    out |= {r.source for r in rt.scalars if r.source is not None}
    out |= {q.source for q in rt.queries}
    for expression in expressions:
        out |= expression.names
    validity = rt.validity
    if validity is not None:
        out |= {b for b in (validity.timezone, validity.start, validity.end, validity.effective)
                if b}
    return out


def _column(graph: Graph, nodes: Sequence[Node], binding: str,
            steps: dict[str, list[Node | None]]) -> list[Any]:
    if "." not in binding:
        out = [n.values.get(binding, _MISSING) for n in nodes]
        return [graph.value(n, binding) if v is _MISSING else v
                for n, v in zip(nodes, out, strict=True)]
    # The first step's target is shared by many sources (a person's organization): what the
    # rest of the binding reaches from it is read once per target.
    step, rest = binding.split(".", 1)
    if step not in steps:
        steps[step] = [_first(graph, n, step) for n in nodes]
    reached: dict[int, Any] = {}
    out = []
    for target in steps[step]:
        if target is None:
            out.append(None)
            continue
        if target.id not in reached:
            reached[target.id] = graph.value(target, rest)
        out.append(reached[target.id])
    return out


def _first(graph: Graph, node: Node, navigation: str) -> Node | None:
    """The node a navigation reaches first (by key), as `Graph.value` follows it."""
    found = graph.targets.get((node.id, navigation))
    if not found:
        return None
    if len(found) > 1:
        found = sorted(found, key=lambda kt: kt[0])
    target = next((t for _, t in found if t is not None), None)
    return None if target is None else graph.nodes.get(target)
