"""How a value reads for people, the same in the terminal and in the pages: an empty value shows
as an empty value (—), never as `None` or as nothing at all."""

from __future__ import annotations

import json
from typing import Any

EMPTY = "—"


def shown(value: Any) -> str:
    """The value as text; None, an empty string and an empty list are `—`; a mapping reads
    `part: value; …`."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(shown(v) for v in value) if value else EMPTY
    if isinstance(value, dict):
        # A structured value reads as its parts, never as a JSON blob.
        return "; ".join(f"{k}: {shown(v)}" for k, v in value.items()) if value else EMPTY
    return str(value)


def changed_values(kind: str, data: str | None) -> list[tuple[str, str]]:
    """A change's values as (property, text): `before → after` for an update, whose data maps a
    property to the pair; the values themselves for an insert or a delete."""
    if not data:
        return []
    decoded: dict[str, Any] = json.loads(data)
    if kind == "update":
        return [(name, f"{shown(before)} → {shown(after)}")
                for name, (before, after) in decoded.items()]
    return [(name, shown(value)) for name, value in decoded.items()]
