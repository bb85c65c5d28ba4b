"""Cross-references of managed systems and owner resource types (SPEC §10): the connector, the
accounts' entity type and its properties, the owner resource type and its target — each problem
located, with a "did you mean"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from headcount.config.yamlsource import PathKey

if TYPE_CHECKING:
    from headcount.config.model import EntityType, Project
    from headcount.config.resource_type import ResourceType

Problem = tuple[PathKey, str]
OWNER_TARGET = "Directory_User"


def check_owner_resource_type(project: Project, rt: ResourceType, base: PathKey
                              ) -> Iterator[Problem]:
    """An owner resource type names owners by correlation only, from account properties to
    Directory_User properties (no navigation: accounts are correlated set-wise)."""
    from headcount.config.validation import suggest

    if rt.target.lower() != OWNER_TARGET.lower():
        yield ((*base, "target"), f"an owner resource type targets `{OWNER_TARGET}` (the "
               f"owner of an account is an identity), not `{rt.target}`")
    for field in ("type_rules", "scalars", "queries"):
        if getattr(rt, field):
            yield ((*base, field), f"an owner resource type only names owners: it has "
                   f"correlation rules, no `{field}`")
    if rt.validity is not None:
        yield (*base, "validity"), "an owner resource type only names owners: no `validity`"
    if not rt.correlation:
        yield (*base, "correlation"), "an owner resource type needs correlation rules"
    source, target = project.entity_type(rt.source), project.entity_type(rt.target)
    for ci, rule in enumerate(rt.correlation):
        for side, found, bindings in (("source", source, rule.source),
                                      ("target", target, rule.target)):
            if found is None:
                continue
            et = found[1]
            for bi, binding in enumerate(bindings):
                prop = et.find_property(binding)
                if prop is None or prop.is_navigation:
                    scalars = [p.identifier for p in et.scalar_properties]
                    yield ((*base, "correlation", ci, side, bi),
                           f"`{binding}` is not a scalar property of `{et.identifier}` (an "
                           f"owner resource type binds the properties themselves)"
                           f"{suggest(binding.split('.')[0], scalars)}")


def check_managed_systems(project: Project) -> Iterator[Problem]:
    from headcount.config.validation import suggest

    seen: set[str] = set()
    connectors = [c.identifier for c in project.connectors]
    owners = [rt.identifier for rt in project.resource_types if rt.owner]
    for i, system in enumerate(project.managed_systems):
        base: PathKey = ("managed_systems", i)
        if system.identifier.lower() in seen:
            yield ((*base, "identifier"), f"managed system `{system.identifier}` is declared "
                   "twice (identifiers ignore case)")
        seen.add(system.identifier.lower())
        connector = project.connector(system.connector)
        if connector is None:
            yield ((*base, "connector"), f"unknown connector `{system.connector}`"
                   f"{suggest(system.connector, connectors)}")
            continue
        types = [et.identifier for et in connector.entity_types]
        et = next((e for e in connector.entity_types
                   if e.identifier.lower() == system.accounts.lower()), None)
        if et is None:
            yield ((*base, "accounts"), f"`{system.accounts}` is not an entity type of "
                   f"connector `{connector.identifier}`{suggest(system.accounts, types)}")
        else:
            yield from _properties(system, et, base)
        rt = next((r for r in project.resource_types
                   if r.identifier.lower() == system.owner.lower()), None)
        if rt is None or not rt.owner:
            what = "no resource type" if rt is None else "a resource type without `owner: true`"
            yield ((*base, "owner"), f"`{system.owner}` is {what}: name the owner resource "
                   f"type of the accounts{suggest(system.owner, owners)}")
        elif et is not None and rt.source.lower() != et.identifier.lower():
            yield ((*base, "owner"), f"owner resource type `{rt.identifier}` reads "
                   f"`{rt.source}`, not the accounts `{et.identifier}`")
        if system.unused_after_days < system.last_logon_lag_days:
            yield ((*base, "unused_after_days"),
                   f"{system.unused_after_days} days is below `last_logon_lag_days` "
                   f"({system.last_logon_lag_days}): the last logon a directory replicates "
                   "may be that old for an account used today, so every account would look "
                   "unused; use at least the lag")


def _properties(system: object, et: EntityType, base: PathKey) -> Iterator[Problem]:
    from headcount.config.managed_system import ManagedSystem
    from headcount.config.model import PropertyType
    from headcount.config.validation import suggest

    assert isinstance(system, ManagedSystem)
    names = [p.identifier for p in et.scalar_properties]
    wanted = (("disabled", system.disabled, PropertyType.BOOL),
              ("last_logon", system.last_logon, PropertyType.DATETIME),
              ("created", system.created, PropertyType.DATETIME))
    for field, name, kind in wanted:
        if name is None:
            continue
        prop = et.find_property(name)
        if prop is None or prop.is_navigation:
            yield ((*base, field), f"unknown property `{name}` of `{et.identifier}`"
                   f"{suggest(name, names)}")
        elif prop.type is not kind:
            yield ((*base, field), f"`{name}` is a {prop.type.value} property: `{field}` "
                   f"reads a {kind.value} property")
    for name in system.service_accounts:
        prop = et.find_property(name)
        if prop is None or prop.is_navigation:
            yield ((*base, "service_accounts", name), f"unknown property `{name}` of "
                   f"`{et.identifier}`{suggest(name, names)}")
