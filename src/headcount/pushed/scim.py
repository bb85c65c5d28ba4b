"""A SCIM User (core, enterprise extension, custom extensions) flattened to the columns of a
pushed connection, each read from its attribute path; what it sends that no column reads."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from headcount.config.pushed import CORE_USER, AttributePath

# Not data of the person: the resource's own bookkeeping.
_BOOKKEEPING = frozenset({"schemas", "id", "meta"})
# Sub-attributes that pick or describe an element (RFC 7643 §2.4), and the manager's
# `displayName`, which the service provider computes: never attributes of their own.
_SELECTORS = frozenset({"type", "primary", "display", "$ref", "displayname"})
_CORE = CORE_USER.lower()


class AttributeProblem(ValueError):
    """A value that is not what its path reads (an object where a value is expected)."""


class Flattener:
    """The columns of a connection read from users, its paths parsed once: each schema's object
    found once per user, and what a user sends checked against a tree of the attributes the
    columns read (dictionary look-ups; the names of the unknown ones only when there are)."""

    def __init__(self, paths: Mapping[str, AttributePath]) -> None:
        self.paths = list(paths.items())
        self.known = frozenset(p.coarse for p in paths.values())
        self._schemas = sorted({p.schema for p in paths.values() if p.schema is not None})
        self._tree = _tree(self.known)

    def row(self, data: Mapping[str, Any]) -> dict[str, str | None]:
        """Column → the text its path reads in `data` (AttributeProblem: not a value)."""
        holders: dict[str | None, Any] = {None: data}
        for schema in self._schemas:
            holders[schema] = _holder(data, schema)
        return {column: _value_in(holders[path.schema], path) for column, path in self.paths}

    def unknown(self, data: Mapping[str, Any]) -> list[str]:
        """The attributes `data` sends that no column reads."""
        if _all_known(data, self._tree):
            return []
        return unknown_attributes(data, self.known)


def value_at(data: Mapping[str, Any], path: AttributePath) -> str | None:
    """The text of the value `path` names in `data`; None when absent. A user without `active`
    is active (Entra's rule)."""
    holder: Any = data if path.schema is None else _holder(data, path.schema)
    return _value_in(holder, path)


def _holder(data: Mapping[str, Any], schema: str) -> Any:
    holder = _get(data, schema)
    if holder is not None and not isinstance(holder, dict):
        raise AttributeProblem(f"{schema} is not an object")
    return holder


def _value_in(holder: Any, path: AttributePath) -> str | None:
    value = None if holder is None else \
        holder[path.name] if path.name in holder else _get(holder, path.name)
    if type(value) is str and path.sub is None and path.filter_field is None:
        return value if value.strip() else None  # the common case, as text_of reads it
    if path.filter_field is not None and value is not None:
        if not isinstance(value, list):
            raise AttributeProblem(f"{path.text}: {path.name} is not a list")
        value = next((e for e in value if isinstance(e, dict)
                      and _same(_get(e, path.filter_field), path.filter_value)), None)
    elif isinstance(value, list) and path.sub is not None:
        elements = [e for e in value if isinstance(e, dict)]
        value = next((e for e in elements if _get(e, "primary") is True),
                     elements[0] if elements else None)
    if path.sub is not None and value is not None:
        if not isinstance(value, dict):
            raise AttributeProblem(f"{path.text}: {path.name} is not an object")
        value = _get(value, path.sub)
    if value is None and path.schema is None and path.name.lower() == "active" \
            and path.sub is None:
        return "true"
    return text_of(value, path.text)


def unknown_attributes(data: Mapping[str, Any], known: frozenset[str]) -> list[str]:
    """The attributes `data` sends that no column reads (`known`: coarse paths). JSON objects
    are dicts: `isinstance(…, dict)`, many times cheaper than an ABC check, on this hot path."""
    return [shown for coarse, shown in _sent(data) if coarse not in known]


# What a connection reads, as a tree: schema (lower case, "" for the core User) → attribute →
# what is read of it: its sub-attributes, "" for the attribute itself read as a value.
_Tree = dict[str, dict[str, set[str]]]


def _tree(known: frozenset[str]) -> _Tree:
    tree: _Tree = {}
    for coarse in known:
        schema, _, rest = coarse.rpartition(":") if coarse.startswith("urn:") \
            else ("", "", coarse)
        name, _, sub = rest.partition(".")
        tree.setdefault(schema, {}).setdefault(name, set()).add(sub)
    return tree


def _all_known(data: Mapping[str, Any], tree: _Tree) -> bool:
    """True when `unknown_attributes` finds nothing: the same walk as `_sent`, in look-ups."""
    core = tree.get("", {})
    for name, value in data.items():
        low = name.lower()
        if low in _BOOKKEEPING or value is None:
            continue
        if low == _CORE and isinstance(value, dict):
            if not _all_known(value, tree):
                return False
        elif low.startswith("urn:") and isinstance(value, dict):
            level = tree.get(low, {})
            if not all(inner is None or _leaf_known(level, sub.lower(), inner)
                       for sub, inner in value.items()):
                return False
        elif not _leaf_known(core, low, value):
            return False
    return True


def _leaf_known(level: dict[str, set[str]], low: str, value: Any) -> bool:
    read = level.get(low)
    if read is None:
        return False
    for element in value if isinstance(value, list) else (value,):
        if not isinstance(element, dict):
            if "" not in read:
                return False
            continue
        for sub, inner in element.items():
            sub_low = sub.lower()
            if inner is not None and sub_low not in _SELECTORS and sub_low not in read:
                return False
    return True


def _sent(data: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for name, value in data.items():
        if name.lower() in _BOOKKEEPING or value is None:
            continue
        if name.lower() == CORE_USER.lower() and isinstance(value, dict):
            yield from _sent(value)
        elif name.lower().startswith("urn:") and isinstance(value, dict):
            for sub, inner in value.items():
                if inner is not None:
                    yield from _leaves(f"{name}:", sub, inner)
        else:
            yield from _leaves("", name, value)


def _leaves(prefix: str, name: str, value: Any) -> Iterator[tuple[str, str]]:
    elements = value if isinstance(value, list) else [value]
    seen: set[str] = set()
    for element in elements:
        if isinstance(element, dict):
            for sub, inner in element.items():
                if sub.lower() in _SELECTORS or inner is None:
                    continue
                shown = f"{prefix}{name}.{sub}"
                if shown not in seen:
                    seen.add(shown)
                    yield shown.lower(), shown
        elif f"{prefix}{name}" not in seen:
            seen.add(f"{prefix}{name}")
            yield f"{prefix}{name}".lower(), f"{prefix}{name}"


def _get(holder: Mapping[str, Any], name: str) -> Any:
    # SCIM attribute names are case-insensitive (RFC 7643 §2.1).
    if name in holder:
        return holder[name]
    low = name.lower()
    return next((v for k, v in holder.items() if k.lower() == low), None)


def _same(found: Any, wanted: str | bool | None) -> bool:
    if isinstance(wanted, bool):
        return found is wanted
    return isinstance(found, str) and wanted is not None and found.lower() == wanted.lower()


def text_of(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value if value.strip() else None
    raise AttributeProblem(f"{where} holds {'a list' if isinstance(value, list) else 'an object'}"
                           ", not a value")
