"""Correlation (SPEC §6.1, §8): how an existing target is recognised for a source — the
rules' normalised bindings indexed once per resource type, tried from the highest confidence
down — and the case a person decides when the match is not certain, with each candidate's
score and the properties that matched."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from headcount.config.resource_type import CorrelationRule, ResourceType
from headcount.policy.graph import Graph, Node


def normalise(value: Any, steps: Sequence[str]) -> str:
    text = "" if value is None else str(value)
    if "whitespace" in steps:
        text = " ".join(text.split())
    # ASCII has no diacritics (and NFKD leaves it as it is): most keys and names skip the walk.
    if "diacritics" in steps and not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text)
                       if not unicodedata.combining(c))
    if "case" in steps:
        text = text.casefold()
    return text


@dataclass(frozen=True)
class Candidate:
    """A target a correlation found for a source: the highest confidence of the rules it
    matches whole, and the target properties equal to the source's once normalised."""

    key: str
    score: int
    matched: tuple[str, ...]


@dataclass(frozen=True)
class CorrelationCase:
    """A source whose only matches are below confidence 100, or several at 100: a person
    decides; no target is created meanwhile (never a silent duplicate)."""

    resource_type: str
    source_key: str
    candidates: tuple[Candidate, ...]
    confidence: int

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.candidates)


def correlation_index(graph: Graph, targets: list[Node], rule: CorrelationRule
                       ) -> dict[tuple[str, ...], list[str]]:
    index: dict[tuple[str, ...], list[str]] = {}
    for node in targets:
        values = tuple(normalise(graph.value(node, b), rule.normalise) for b in rule.target)
        if all(values):
            index.setdefault(values, []).append(node.key)
    return index


def correlate(graph: Graph, node: Node, rt: ResourceType,
               indexes: list[tuple[CorrelationRule, dict[tuple[str, ...], list[str]]]],
               targets: Mapping[str, Node], free: Callable[[str], bool], decided_new: bool
               ) -> tuple[str | None, CorrelationCase | None]:
    """The target a source correlates to, or the case a person decides: rules from the
    highest confidence down; one match at 100 is the target, several (or any below 100) a
    case — unless a person decided this source gets a target of its own."""
    for rule, index in indexes:
        if rule.confidence < 100 and decided_new:
            continue
        probe = tuple(normalise(graph.value(node, b), rule.normalise) for b in rule.source)
        found = sorted(k for k in index.get(probe, []) if free(k))
        if rule.confidence >= 100 and len(found) == 1:
            return found[0], None
        if found and not decided_new:
            scored = tuple(_scored(graph, node, rt, targets[k]) for k in found)
            return None, CorrelationCase(rt.identifier, node.key, scored, rule.confidence)
    return None, None


def _scored(graph: Graph, node: Node, rt: ResourceType, target: Node) -> Candidate:
    score, matched = 0, []
    for rule in rt.correlation:
        equal = [t for s, t in zip(rule.source, rule.target, strict=True)
                 if (left := normalise(graph.value(node, s), rule.normalise))
                 and left == normalise(graph.value(target, t), rule.normalise)]
        if len(equal) == len(rule.target):
            score = max(score, rule.confidence)
        matched += [t for t in equal if t not in matched]
    return Candidate(target.key, score, tuple(matched))
