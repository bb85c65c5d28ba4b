"""Provisioning orders (SPEC §6.3): what the policy decided for one target."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

OrderKind = Literal["added", "modified", "deleted"]


@dataclass
class Order:
    resource_type: str
    kind: OrderKind
    target_type: str
    target_key: str
    source_key: str | None
    # property → (before, after); an added order has every computed value, before None.
    values: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    # navigation → (target keys before, target keys after), with the target entity type
    links: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    link_types: dict[str, str] = field(default_factory=dict)
    # The order records that the source now owns the target (a correlation, a new record): it
    # stands even when it changes no value.
    establishes: bool = False
    # A deleted order of a resource type with a retention: the target stays, marked left,
    # until this day.
    retain_until: date | None = None
    # Unique values this order issues: property → core (without prefix or suffix), kept so that
    # they are never issued again.
    issued: dict[str, str] = field(default_factory=dict)
    # Earlier records of the same person that leave the deletion schedule with this order.
    reclaimed: list[str] = field(default_factory=list)
    # A re-key (SPEC §8): the source key of the target's previous owner, gone from the source
    # (a contractor back as an employee under a new key). Set on the order that moves the
    # target to its new source and on the orders of that person's new records.
    replaces: str | None = None

    def as_json(self) -> dict[str, Any]:
        """What is recorded of the order, for JSON (whose arrays the pairs become): the
        order's own mappings, not copies — 200,000 orders of an initial load."""
        out: dict[str, Any] = {"values": self.values, "links": self.links}
        if self.retain_until is not None:
            out["retain_until"] = self.retain_until.isoformat()
        if self.replaces is not None:
            out["replaces"] = self.replaces
        return out
