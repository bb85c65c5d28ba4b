"""Transformations between export and prepare (SPEC §3.2): date shift, row filter, concatenate.
Each works on the table of strings read from the file, in the order declared."""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from headcount.config.model import Concatenate, Connection, DateShift, RowFilter
from headcount.connections.reader import SourceTable
from headcount.errors import Location, SourceError


def apply_transformations(table: SourceTable, connection: Connection) -> SourceTable:
    for step in connection.transformations:
        table = _apply(table, step, connection)
    return table


def _apply(table: SourceTable, step: DateShift | RowFilter | Concatenate,
           connection: Connection) -> SourceTable:
    wanted = step.columns if isinstance(step, (DateShift, Concatenate)) else [step.column]
    missing = [c for c in wanted if c not in table.header]
    if missing:
        raise SourceError(f"transformation `{step.type}` names missing columns: "
                          f"{', '.join(missing)}", Location(table.file.path, table.header_line))
    frame = table.frame
    header = table.header
    if isinstance(step, RowFilter):
        frame = frame.filter(_condition(step).fill_null(False))
    elif isinstance(step, Concatenate):
        parts = pl.concat_list([pl.col(c) for c in step.columns])
        if step.drop_empty:
            parts = parts.list.eval(pl.element().filter(
                pl.element().is_not_null() & (pl.element() != "")))
        else:
            parts = parts.list.eval(pl.element().fill_null(""))
        if step.drop_duplicates:
            parts = parts.list.unique(maintain_order=True)
        if step.sort:
            parts = parts.list.sort()
        joined = parts.list.join(step.separator)
        frame = frame.with_columns(pl.when(joined != "").then(joined).alias(step.into))
        if step.into not in header:
            header = [*header, step.into]
    else:
        formats = connection.date_formats or ["%Y-%m-%d"]
        out_format = formats[0]
        exprs = []
        for column in step.columns:
            raw = pl.col(column).str.strip_chars()
            parsed = pl.coalesce([raw.str.to_datetime(f, strict=False, time_unit="us")
                                  for f in formats])
            year = parsed.dt.year()
            in_range = (year >= step.years[0]) & (year <= step.years[1])
            shifted = parsed + pl.duration(microseconds=round(step.days * 86_400_000_000))
            fractional = step.days != int(step.days)
            # A fractional shift (e.g. to the end of the day) needs a time in the result.
            fmt = "%Y-%m-%dT%H:%M:%S" if fractional else out_format
            exprs.append(pl.when(parsed.is_not_null() & in_range)
                         .then(shifted.dt.to_string(fmt)).otherwise(pl.col(column)).alias(column))
        frame = frame.with_columns(exprs)
    return replace(table, frame=frame, header=header)


def _condition(step: RowFilter) -> pl.Expr:
    col = pl.col(step.column)
    match step.operator:
        case "equals":
            return col == step.value
        case "not_equals":
            return (col != step.value) | col.is_null()
        case "contains":
            return col.str.contains(step.value, literal=True)
        case "starts_with":
            return col.str.starts_with(step.value)
        case "ends_with":
            return col.str.ends_with(step.value)
        case _:
            return col.str.contains(step.value)
