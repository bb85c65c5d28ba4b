"""Every configuration setting is documented in docs/ — configuration.md, or its section's
guide (docs that tests keep honest)."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from headcount.config.model import Project

DOCS = Path(__file__).resolve().parents[2] / "docs"
# The guide of each section, and the general one; a setting is documented in one of them.
DOC = "\n".join(p.read_text("utf-8") for p in sorted(DOCS.glob("*.md")))


def models(root: type[BaseModel]) -> list[type[BaseModel]]:
    """Every model a configuration can hold, found from the project down: a new section or
    setting is checked without being listed here."""
    found: list[type[BaseModel]] = []
    todo = [root]
    while todo:
        cls = todo.pop()
        if cls in found:
            continue
        found.append(cls)
        for info in cls.model_fields.values():
            todo += [t for t in _types(info.annotation) if t not in found]
    return [c for c in found if c is not root]


def _types(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [t for arg in typing.get_args(annotation) for t in _types(arg)]


MODELS = models(Project)


def test_the_walk_finds_every_section() -> None:
    names = {c.__name__ for c in MODELS}
    assert {"Connector", "ScalarRule", "CalendarSpec", "Workflow", "Activity",
            "Notifications", "Webhook"} <= names


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_every_setting_is_documented(cls: type[BaseModel]) -> None:
    # A field without alias has alias None, and "`None`" is in docs/expressions.md: only an
    # alias that is given may stand for the name.
    missing = [name for name, info in cls.model_fields.items()
               if f"`{name}`" not in DOC and (info.alias is None or f"`{info.alias}`" not in DOC)]
    assert not missing, f"{cls.__name__}: undocumented settings {missing}"
