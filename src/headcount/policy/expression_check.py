"""The expressions of a configuration compiled as a run would compile them, with its lookup
tables: `headcount check` and `reload` see a mistake before a run meets it."""

from __future__ import annotations

from collections.abc import Iterator

from headcount.config.model import Project
from headcount.config.validation import Problem
from headcount.config.yamlsource import PathKey
from headcount.policy.expressions import ExpressionError, compile_expression


def expression_problems(project: Project) -> Iterator[Problem]:
    tables = project.lookup_tables()
    for ri, rt in enumerate(project.resource_types):
        for si, rule in enumerate(rt.scalars):
            texts: list[tuple[PathKey, str | None]] = [
                (("expression",), rule.expression), (("prefix",), rule.prefix),
                (("suffix",), rule.suffix)]
            texts += [(("alternatives", ai), text) for ai, text in enumerate(rule.alternatives)]
            for where, text in texts:
                if text is None:
                    continue
                try:
                    compile_expression(text, tables=tables)
                except ExpressionError as exc:
                    yield ("resource_types", ri, "scalars", si, *where), str(exc)
    for wi, wc in enumerate(project.workflow_connections):
        for kind in ("added", "modified", "deleted"):
            change = getattr(wc.change_types, kind)
            for i, choice in enumerate(change.choose if change else []):
                try:
                    compile_expression(choice.when, tables=tables)
                except ExpressionError as exc:
                    yield (("workflow_connections", wi, "change_types", kind, "choose", i,
                            "when"), str(exc))
