"""The building blocks of every configuration model: strict, frozen models and identifiers."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$", max_length=128),
    Field(description="Starts with a letter; letters, digits, '.', '-', '_'."),
]
# Entity types and properties are joined with a dot (`HR_Person.Manager`): no dot in them.
Name = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$", max_length=128),
    Field(description="Starts with a letter; letters, digits, '-', '_'."),
]


class ConfigModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
