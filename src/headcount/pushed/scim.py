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


class AttributeProblem(ValueError):
    """A value that is not what its path reads (an object where a value is expected)."""


def value_at(data: Mapping[str, Any], path: AttributePath) -> str | None:
    """The text of the value `path` names in `data`; None when absent. A user without `active`
    is active (Entra's rule)."""
    holder: Any = data if path.schema is None else _get(data, path.schema)
    if holder is not None and not isinstance(holder, dict):
        raise AttributeProblem(f"{path.schema} is not an object")
    value = None if holder is None else _get(holder, path.name)
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
