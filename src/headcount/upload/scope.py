"""What the checks of an upload compare the file with (SPEC §9): its resolved tabs, the stored
resources, and the keys each entity type keeps or loses by the load; and the resource types
that say how its entity types are computed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import polars as pl

from headcount.config.model import EntityType, Project, Property
from headcount.config.resource_type import ResourceType
from headcount.upload.resolve import COMMAND, Resolved
from headcount.upload.verified import Mode


@dataclass(frozen=True)
class Scope:
    """What the checks compare the file with."""

    project: Project
    mode: Mode
    tabs: list[Resolved]
    stored: dict[str, pl.DataFrame]  # by entity type: the stored resources (KEY, properties)
    stored_keys: Callable[[str], set[str]]  # the stored keys of any entity type
    # Deleted and available keys by entity type, computed once: every navigation asks.
    _known: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def tab(self, entity_type: str) -> Resolved | None:
        return next((t for t in self.tabs if t.entity_type.identifier == entity_type), None)

    def deleted(self, entity_type: str) -> set[str]:
        """Stored keys this file deletes: its Delete rows and, in a complete file, what the
        tab does not list."""
        if ("deleted", entity_type) in self._known:
            return self._known[("deleted", entity_type)]
        tab = self.tab(entity_type)
        if tab is None:
            return set()
        frame = tab.frame.filter(pl.col(tab.key).is_not_null())
        gone = set(frame.filter(pl.col(COMMAND) == "delete")[tab.key].to_list())
        if self.mode == "complete":
            gone |= self.stored_keys(entity_type) - set(frame[tab.key].to_list())
        gone &= self.stored_keys(entity_type)
        self._known[("deleted", entity_type)] = gone
        return gone

    def available(self, entity_type: str) -> set[str]:
        """The keys a reference may name after the load."""
        if ("available", entity_type) not in self._known:
            tab = self.tab(entity_type)
            keys = self.stored_keys(entity_type) - self.deleted(entity_type)
            if tab is not None:
                keys |= {k for k in tab.live()[tab.key].to_list() if k is not None}
            self._known[("available", entity_type)] = keys
        return self._known[("available", entity_type)]


def resource_types(project: Project, et: EntityType) -> Iterable[ResourceType]:
    return (rt for rt in project.resource_types if rt.target == et.identifier and not rt.owner)


def key_prop(et: EntityType, key: str) -> Property:
    prop = et.find_property(key)
    assert prop is not None, key
    return prop


def type_name(project: Project, identifier: str) -> str:
    for connector in project.connectors:
        for et in connector.entity_types:
            if et.identifier == identifier:
                return et.display_name or et.identifier
    return identifier


def article(name: str) -> str:
    return "an" if name[:1].lower() in "aeio" else "a"  # a User type, an Identity
