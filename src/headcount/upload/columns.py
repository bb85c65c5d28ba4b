"""The tabs and columns of an upload workbook (SPEC §9): which connector it fills, a tab per entity
type, and for each column its header, whether it is required, and the note that says what to
write. The templates write them; verify reads a workbook against the same description."""

from __future__ import annotations

import re
from dataclasses import dataclass

from headcount.config.model import Connector, EntityType, Project, Property, PropertyType
from headcount.errors import NotFound

LISTS = "Lists"
COMMAND = "Command"
COMMANDS = ("Add", "Modify", "Delete", "Merge")
EMPTIES = "NULL_NULL"
REQUIRED_MARK = " *"
NOTE_MARK = "↳ "
MULTIVALUE_SEPARATOR = ";"
DATE_NOTE = "date, DD/MM/YYYY or an Excel date"
# Excel refuses these in a tab name, and more than 31 characters.
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_TAB_LENGTH = 31
# What verify checks beyond keys and dates (SPEC §9): a record belongs to an identity and has a
# user type (a fixed-term contract needs its end date), and every organization has a manager.
_CHECKED: dict[str, tuple[str, ...]] = {
    "Directory_UserRecord": ("User", "UserType"),
    "Directory_Organization": ("Manager",),
}


@dataclass(frozen=True)
class Column:
    prop: Property
    header: str  # the property's display name, ending with " *" when required
    required: bool
    note: str  # "↳ …": the expected format
    list_name: str | None = None  # the column of the tab Lists holding its drop-down


@dataclass(frozen=True)
class Tab:
    name: str
    entity_type: EntityType
    columns: tuple[Column, ...]


def upload_connector(project: Project) -> Connector:
    """The connector an upload fills: the one whose entity types resource types target (the
    workforce template's `Directory` in the sample)."""
    targets = {rt.target for rt in project.resource_types if not rt.owner}
    for connector in project.connectors:
        if any(et.identifier in targets for et in connector.entity_types):
            return connector
    raise NotFound("no connector receives identities: no resource type targets an entity type, "
                   "so there is nothing to upload into")


def upload_tabs(project: Project) -> list[Tab]:
    connector = upload_connector(project)
    names = tab_names([et.display_name or et.identifier for et in connector.entity_types])
    by_type = {et.identifier: name for et, name in zip(connector.entity_types, names, strict=True)}
    return [Tab(name, et, tuple(_columns(project, et, by_type)))
            for et, name in zip(connector.entity_types, names, strict=True)]


def tab_names(wanted: list[str], reserved: str = LISTS) -> list[str]:
    """Names Excel accepts, unique ignoring case (as Excel compares them), never `reserved`
    (the template's `Lists`, the file sent back's `Problems`)."""
    taken = {reserved.casefold()}
    names = []
    for text in wanted:
        base = clean_tab_name(text)
        name, number = base[:_TAB_LENGTH], 1
        while name.casefold() in taken:
            number += 1
            suffix = f" ({number})"
            name = base[:_TAB_LENGTH - len(suffix)] + suffix
        taken.add(name.casefold())
        names.append(name)
    return names


def clean_tab_name(text: str) -> str:
    """The text as a tab name Excel accepts but for its length: no [ ] : * ? / \\, no
    apostrophe around it, never empty."""
    return _FORBIDDEN.sub("-", text).strip("'").strip() or "Sheet"


def label(prop: Property) -> str:
    return prop.display_name or prop.identifier


def _columns(project: Project, et: EntityType, tabs: dict[str, str]) -> list[Column]:
    keys = et.keys or [p.identifier for p in et.scalar_properties[:1]]
    required, conditional = _required(project, et)
    unique = {rule.target for rt in project.resource_types if rt.target == et.identifier
              for rule in rt.scalars if rule.unique}
    ordered = [p for k in keys for p in et.properties if p.identifier == k] + \
        [p for p in et.properties if p.identifier not in keys]
    columns = []
    for prop in ordered:
        needed = prop.identifier in keys or prop.identifier in required
        note = _note(prop, project, tabs)
        if prop.identifier in keys:
            note += ", unique in this tab"
        elif prop.identifier in unique:
            note += ", nobody else's (unique)"
        if prop.identifier in conditional:
            note += "; required for a fixed-term contract"
        columns.append(Column(prop, label(prop) + (REQUIRED_MARK if needed else ""), needed,
                              NOTE_MARK + note, _list_name(prop, et, tabs)))
    return columns


def _required(project: Project, et: EntityType) -> tuple[set[str], set[str]]:
    """The properties validation needs besides the keys, and those it needs only sometimes: the
    first and last days of validity the policy computes from (a record's contract dates)."""
    required = {name for name in _CHECKED.get(et.identifier, ()) if et.find_property(name)}
    conditional: set[str] = set()
    for rt in project.resource_types:
        if rt.target != et.identifier or rt.owner or rt.validity is None:
            continue
        for rule in rt.scalars:
            if rule.source is not None and rule.source == rt.validity.start:
                required.add(rule.target)
            elif rule.source is not None and rule.source == rt.validity.end:
                conditional.add(rule.target)
    return required, conditional - required


def _note(prop: Property, project: Project, tabs: dict[str, str]) -> str:
    kind = prop.type
    if kind is PropertyType.NAVIGATION:
        target = next((et for c in project.connectors for et in c.entity_types
                       if et.identifier == prop.target), None)
        name = (target.display_name or target.identifier) if target else str(prop.target)
        where = f"list in the tab {LISTS}" if prop.target in tabs else "not in this workbook"
        if prop.multivalued:
            return f"keys of {name} resources separated by {MULTIVALUE_SEPARATOR} ({where})"
        article = "an" if name[:1].lower() in "aeio" else "a"  # a User type, an Identity
        return f"key of {article} {name} ({where})"
    if kind is PropertyType.ENUM:
        return "one of: " + ", ".join(prop.values or [])
    return {
        PropertyType.INT: "whole number",
        PropertyType.DECIMAL: "decimal number such as 12.5",
        PropertyType.BOOL: "true or false",
        PropertyType.DATE: DATE_NOTE,
        PropertyType.DATETIME: "date and time (UTC), DD/MM/YYYY HH:MM or an Excel date",
    }.get(kind, "text")


def _list_name(prop: Property, et: EntityType, tabs: dict[str, str]) -> str | None:
    """The Lists column of a drop-down: one per referenced tab, one per enum."""
    if prop.is_navigation and not prop.multivalued and prop.target in tabs:
        return tabs[str(prop.target)]
    if prop.type is PropertyType.ENUM and prop.values:
        return f"{tabs[et.identifier]} · {label(prop)}"
    return None
