"""Typed checks of pushed rows, all at once, with the parsers a run uses (sync.values): what the
answer accepts, the run prepares without surprise."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import polars as pl

from headcount.pushed.target import PushTarget
from headcount.sync.values import parse_column


def invalid_values(target: PushTarget, rows: Sequence[Mapping[str, str | None]],
                   name: Callable[[str], str]) -> dict[int, str]:
    """Index of each row that fails → why, naming the attribute (`name(column)`): a missing
    key, or a value its property's type does not read."""
    problems: dict[int, str] = {}
    for i, row in enumerate(rows):
        if not (row.get(target.key_column) or "").strip():
            problems[i] = f"{name(target.key_column)} is required: it is the key"
    columns = [c for c in target.typed if any(row.get(c) is not None for row in rows)]
    if not rows or not columns:
        return problems
    frame = pl.DataFrame({c: [row.get(c) for row in rows] for c in columns},
                         schema=dict.fromkeys(columns, pl.String))
    for column in columns:
        parsed = parse_column(column, target.typed[column], target.connection)
        bad = frame.select(parsed.invalid.alias("bad"))["bad"]
        for i in bad.arg_true().to_list():
            if i not in problems:
                problems[i] = (f"{name(column)}: {rows[i].get(column)!r} is not "
                               f"{parsed.expected}")
    return problems
