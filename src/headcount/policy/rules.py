"""The scalar and type rules of a resource type (SPEC §6.1): compiled once, computed per source
or set-wise (policy/setwise.py), and compared with a target's values as each rule says."""

from __future__ import annotations

from datetime import date
from typing import Any

from headcount.config.resource_type import ResourceType, ScalarRule
from headcount.policy.correlation import normalise
from headcount.policy.expressions import Expression, Tables
from headcount.policy.graph import Graph, Node
from headcount.policy.setwise import SourceFrame, bindings_of


def same(before: Any, after: Any, compare: str) -> bool:
    if compare == "exact" or before is None or after is None:
        return bool(before == after)
    steps = ["case"] if compare == "ignore_case" else ["case", "diacritics"]
    return normalise(before, steps) == normalise(after, steps)


class Scalars:
    """The compiled scalar rules of a resource type."""

    def __init__(self, rules: list[ScalarRule], tables: Tables) -> None:
        from headcount.policy.expressions import compile_expression

        def compiled(text: str) -> Expression:
            return compile_expression(text, tables=tables)

        self.rules = rules
        self.compiled = {r.target: compiled(r.expression) for r in rules
                         if r.expression is not None}
        # Unique rules: their alternatives (more letters), prefix and suffix.
        self.extras = {r.target: ([compiled(a) for a in r.alternatives],
                                  compiled(r.prefix) if r.prefix else None,
                                  compiled(r.suffix) if r.suffix else None)
                       for r in rules if r.unique}
        self.tables = tables
        self.frame: SourceFrame | None = None
        # expression → its value per row of the frame, where it has a columnar form
        self.columns: dict[int, list[Any]] = {}
        self.ready: list[tuple[ScalarRule, list[Any] | None]] = []
        self.whole = False  # every rule has its column: compute() reads a row

    def expressions(self) -> list[Expression]:
        out = list(self.compiled.values())
        for tried, prefix, suffix in self.extras.values():
            out += [*tried, *(e for e in (prefix, suffix) if e is not None)]
        return out

    def read(self, graph: Graph, rt: ResourceType, nodes: list[Node]) -> SourceFrame:
        """Read the bindings of `nodes` into a frame and compute the expressions set-wise."""
        expressions = self.expressions()
        frame = self.frame = SourceFrame(graph, nodes, bindings_of(rt, expressions))
        for expression, column in zip(expressions, frame.computed(expressions, self.tables),
                                      strict=True):
            if column is not None:
                self.columns[id(expression)] = column
        # Each rule's value per row, as compute() gives it: text unless a number or a boolean.
        for rule in self.rules:
            column = frame.columns[rule.source] if rule.source is not None \
                else self.columns.get(id(self.compiled[rule.target]))
            self.ready.append((rule, None if column is None else [
                None if v is None else v if isinstance(v, (bool, int, float)) else str(v)
                for v in column]))
        self.whole = all(column is not None for _, column in self.ready)
        return frame

    def candidates(self, target: str) -> list[str]:
        """The values a unique rule and its alternatives took over the frame, where they have a
        column: what its sources may ask for, asked about at once."""
        tried = self.extras[target][0]
        columns = [column for rule, column in self.ready if rule.target == target] + \
            [self.columns.get(id(expression)) for expression in tried]
        return [str(v) for column in columns if column is not None
                for v in column if v is not None]

    def value(self, graph: Graph, node: Node, binding: str) -> Any:
        return graph.value(node, binding) if self.frame is None \
            else self.frame.value(node, binding)

    def run(self, expression: Expression, graph: Graph, node: Node, today: date | None
            ) -> object:
        column = self.columns.get(id(expression))
        i = self.frame.row.get(node.id) if self.frame is not None else None
        if column is not None and i is not None:
            return column[i]
        values = {name: self.value(graph, node, name) for name in expression.names}
        return expression.evaluate(values, today=today)

    def affixes(self, graph: Graph, node: Node, today: date | None, target: str
                ) -> tuple[str, str]:
        _, prefix, suffix = self.unique_parts(graph, node, today, target, alternatives=False)
        return prefix, suffix

    def unique_parts(self, graph: Graph, node: Node, today: date | None, target: str,
                     alternatives: bool = True) -> tuple[list[str | None], str, str]:
        tried, prefix, suffix = self.extras[target]

        def run(expression: Expression) -> str | None:
            value = self.run(expression, graph, node, today)
            return None if value is None else str(value)

        return ([run(a) for a in tried] if alternatives else [],
                (run(prefix) or "") if prefix else "", (run(suffix) or "") if suffix else "")

    def compute(self, graph: Graph, node: Node, today: date | None, creating: bool
                ) -> dict[str, Any]:
        i = self.frame.row.get(node.id) if self.frame is not None else None
        if i is not None and self.whole:
            return {rule.target: column[i] for rule, column in self.ready
                    if column is not None and (creating or rule.when != "on_create")}
        out: dict[str, Any] = {}
        for rule in self.rules:
            if rule.when == "on_create" and not creating:
                continue
            if rule.source is not None:
                out[rule.target] = self.value(graph, node, rule.source)
            else:
                out[rule.target] = self.run(self.compiled[rule.target], graph, node, today)
        return {k: (None if v is None else v if isinstance(v, (bool, int, float)) else str(v))
                for k, v in out.items()}


def passes(graph: Graph, node: Node, rt: ResourceType) -> bool:
    if not rt.type_rules:
        return True
    for rule in rt.type_rules:
        ok = True
        for binding, wanted in rule.filter.items():
            value = graph.value(node, binding)
            allowed = wanted if isinstance(wanted, list) else [wanted]
            if (None if value is None else str(value)) not in allowed:
                ok = False
                break
        if ok:
            return True
    return False
