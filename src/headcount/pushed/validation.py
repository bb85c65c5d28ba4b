"""Typed checks of pushed rows, all at once, with the parsers a run uses (sync.values): what the
answer accepts, the run prepares without surprise."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import polars as pl

from headcount.config.model import PropertyType
from headcount.pushed.target import PushTarget
from headcount.sync.values import parse_column

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})?)?")
_INT = re.compile(r"-?\d{1,18}")


def _canonical(value: str | None, kind: PropertyType) -> bool:
    """True when `value` is surely read by its type's parser (sync.values): absent, an ISO 8601
    date or date and time that exists, a plain whole number, true or false."""
    if value is None:
        return True
    if kind in (PropertyType.DATE, PropertyType.DATETIME):
        if _ISO.fullmatch(value) is None:
            return False
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return False
        return True
    if kind is PropertyType.INT:
        return _INT.fullmatch(value) is not None
    if kind is PropertyType.BOOL:
        return value in ("true", "false")
    return False


def invalid_values(target: PushTarget, rows: Sequence[Mapping[str, str | None]],
                   name: Callable[[str], str]) -> dict[int, str]:
    """Index of each row that fails → why, naming the attribute (`name(column)`): a missing
    key, or a value its property's type does not read."""
    problems: dict[int, str] = {}
    for i, row in enumerate(rows):
        if not (row.get(target.key_column) or "").strip():
            problems[i] = f"{name(target.key_column)} is required: it is the key"
    # Text reads anything, and a value in the canonical form of its type is read for sure: only
    # the other values go to the run's own parsers, all in one pass over the rows.
    columns = [c for c, prop in target.typed.items() if prop.type is not PropertyType.STRING
               and not all(_canonical(row.get(c), prop.type) for row in rows)]
    if not rows or not columns:
        return problems
    frame = pl.DataFrame({c: [row.get(c) for row in rows] for c in columns},
                         schema=dict.fromkeys(columns, pl.String))
    parsed = {c: parse_column(c, target.typed[c], target.connection) for c in columns}
    bad = frame.select([p.invalid.alias(c) for c, p in parsed.items()])
    for column in columns:
        for i in bad[column].arg_true().to_list():
            if i not in problems:
                problems[i] = (f"{name(column)}: {rows[i].get(column)!r} is not "
                               f"{parsed[column].expected}")
    return problems
