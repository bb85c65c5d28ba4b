"""Every configuration setting is documented in docs/configuration.md (docs that tests keep
honest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from headcount.config import model, resource_type

DOC = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text("utf-8")
MODELS: list[type[BaseModel]] = [
    model.Connector, model.Connection, model.EntityType, model.Property,
    model.EntityTypeMapping, model.AssociationMapping, model.Thresholds, model.DateShift,
    model.RowFilter, model.Concatenate, model.LookupTable, resource_type.ResourceType,
    resource_type.TypeRule,
    resource_type.CorrelationRule, resource_type.ScalarRule, resource_type.QueryRule,
]


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_every_setting_is_documented(cls: type[BaseModel]) -> None:
    missing = [name for name in cls.model_fields if f"`{name}`" not in DOC]
    assert not missing, f"{cls.__name__}: undocumented settings {missing}"
