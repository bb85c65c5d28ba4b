"""The `scim:` section resolved against the deployed entity types: each SCIM attribute's value
path as steps the SQL can follow — the resource's key or display name, a property, the current
record of a flip side, a navigation."""

from __future__ import annotations

from dataclasses import dataclass

from headcount.config.model import EntityType, Project
from headcount.config.scim import ScimUsers
from headcount.errors import HeadcountError

KEY = "$key"
DISPLAY = "$display"


class ScimMappingError(HeadcountError):
    """A value path of `scim.users.attributes` names nothing the entity types have."""

    def __init__(self, attribute: str, path: str, message: str) -> None:
        self.attribute = attribute
        super().__init__(f"scim.users.attributes.{attribute}: `{path}`: {message}")


@dataclass(frozen=True)
class Hop:
    """One step from a resource to another: the current record of a flip side (`records`:
    the navigations, seen from the records, that point back), or a navigation."""

    navigations: tuple[str, ...]
    records: bool
    target: str  # the entity type reached


@dataclass(frozen=True)
class ValuePath:
    """Where a value is: after `hops`, the key, the display name or a property (`prop`); a
    path ending on a navigation ends with that hop and reads the target's key and name."""

    hops: tuple[Hop, ...]
    prop: str | None  # None: the key (and the display name) of the resource reached
    display: bool = False


@dataclass(frozen=True)
class Mapping:
    entity_type: str
    attributes: dict[str, ValuePath]
    active_values: tuple[str, ...]


def resolve(project: Project, users: ScimUsers
            ) -> tuple[Mapping | None, list[ScimMappingError]]:
    """The mapping of the project's `scim.users` — None when its entity type is not deployed
    (the view then has no Users) — and the value paths that name nothing, left out (the
    default mapping meets a workforce template without, say, `EmployeeId`)."""
    found = project.entity_type(users.entity_type)
    if found is None:
        return None, []
    et = found[1]
    attributes: dict[str, ValuePath] = {}
    problems: list[ScimMappingError] = []
    for name, path in users.attributes.items():
        try:
            attributes[name] = _path(project, et, users.record, name, path)
        except ScimMappingError as problem:
            problems.append(problem)
    return Mapping(et.identifier, attributes, tuple(users.active_values)), problems


def _path(project: Project, root: EntityType, record: str | None, attribute: str,
          path: str) -> ValuePath:
    if path == KEY:
        return ValuePath((), None)
    if path == DISPLAY:
        return ValuePath((), None, display=True)
    steps = path.split(".")
    current = root
    hops: list[Hop] = []
    for index, step in enumerate(steps):
        last = index == len(steps) - 1
        if index == 0 and record is not None and step.lower() == record.lower():
            navigations = _flip_navigations(project, root, record)
            if not navigations:
                raise ScimMappingError(attribute, path, f"no navigation has the flip side "
                                                        f"`{record}` on `{root.identifier}`")
            target = _entity_type(project, navigations[0].partition(".")[0], attribute, path)
            hops.append(Hop(tuple(navigations), True, target.identifier))
            current = target
            if last:
                raise ScimMappingError(attribute, path, "a record needs one of its values")
            continue
        prop = next((p for p in current.properties if p.identifier.lower() == step.lower()),
                    None)
        if prop is None:
            raise ScimMappingError(attribute, path, f"`{current.identifier}` has no property "
                                                    f"`{step}`")
        if not prop.is_navigation:
            if not last:
                raise ScimMappingError(attribute, path, f"`{step}` is not a navigation")
            return ValuePath(tuple(hops), prop.identifier)
        target = _entity_type(project, prop.target or "", attribute, path)
        hops.append(Hop((f"{current.identifier}.{prop.identifier}",), False, target.identifier))
        current = target
    return ValuePath(tuple(hops), None, display=True)


def _flip_navigations(project: Project, root: EntityType, flip: str) -> list[str]:
    return sorted(f"{et.identifier}.{p.identifier}" for c in project.connectors
                  for et in c.entity_types for p in et.properties
                  if p.is_navigation and (p.target or "").lower() == root.identifier.lower()
                  and (p.flip or "").lower() == flip.lower())


def _entity_type(project: Project, identifier: str, attribute: str, path: str) -> EntityType:
    found = project.entity_type(identifier)
    if found is None:  # validated configurations name existing targets
        raise ScimMappingError(attribute, path, f"no entity type `{identifier}`")
    return found[1]
