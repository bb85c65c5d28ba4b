"""Cells of an uploaded workbook as canonical values (SPEC §9): the apostrophe of an escaped
formula taken off, spaces trimmed, then each property type parsed as the engine stores it —
dates from ISO text, the template's DD/MM/YYYY or an Excel serial number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from headcount.cells import FORMULA_STARTS
from headcount.config.model import Connection, Property, PropertyType
from headcount.sync.values import parse_column
from headcount.upload.columns import EMPTIES

# What the engine reads besides ISO: the template's dates (D/M/YYYY too: chrono's %d and %m
# accept one digit) and times, naive in UTC as the template writes them.
_UPLOAD = Connection(identifier="Upload", date_formats=[
    "%Y-%m-%d", "%d/%m/%Y", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"])
_ESCAPED = "^'('*[" + "".join("\\" + c if c in "-+" else c for c in FORMULA_STARTS) + "])"
# Excel's day 0 (its 1900 leap-year bug makes serials from March 1900 count from here), and
# its last day, 31/12/9999.
_EPOCH_DAY, _EPOCH = date(1899, 12, 30), datetime(1899, 12, 30)
_LAST_SERIAL = 2958465
_SERIAL = r"^\d+(\.\d+)?$"


@dataclass(frozen=True)
class Parsed:
    value: pl.Expr  # canonical text, null for an empty cell (and for NULL_NULL)
    invalid: pl.Expr  # the cell holds something that is not a value of the type
    emptied: pl.Expr  # the cell says NULL_NULL


def cell_text(column: str) -> pl.Expr:
    """A cell as the person wrote it: `formula_safe`'s apostrophe off, then trimmed."""
    text = pl.col(column).str.replace(_ESCAPED, "$1").str.strip_chars()
    return pl.when(text != "").then(text)


def parse_cells(column: str, prop: Property) -> Parsed:
    """The column (already through `cell_text`) as values of `prop`; navigations are keys,
    several joined by `;` without spaces around them."""
    raw = pl.col(column)
    emptied = raw.fill_null("") == EMPTIES
    if prop.is_navigation:
        keys = raw.str.split(";").list.eval(pl.element().str.strip_chars()).list.eval(
            pl.element().filter(pl.element() != "")).list.join(";")
        value = pl.when(emptied | (keys == "")).then(None).otherwise(keys)
        return Parsed(value, pl.lit(False), emptied)
    parsed = parse_column(column, prop, _UPLOAD)
    value, invalid = parsed.value, parsed.invalid
    serial = raw.str.contains(_SERIAL).fill_null(False)
    days = raw.cast(pl.Float64, strict=False)
    in_range = serial & (days >= 1) & (days <= _LAST_SERIAL)
    if prop.type is PropertyType.DATE:
        from_serial = (pl.lit(_EPOCH_DAY) + pl.duration(days=days.floor().cast(pl.Int64))) \
            .dt.to_string("%Y-%m-%d")
        value = pl.when(in_range).then(from_serial).otherwise(value)
        invalid = invalid & ~in_range
    elif prop.type is PropertyType.DATETIME:
        moment = pl.lit(_EPOCH) + pl.duration(
            milliseconds=(days * 86_400_000).round().cast(pl.Int64))
        value = pl.when(in_range).then(moment.dt.to_string("%Y-%m-%dT%H:%M:%SZ")) \
            .otherwise(value)
        invalid = invalid & ~in_range
    return Parsed(pl.when(emptied).then(None).otherwise(value), invalid & ~emptied, emptied)


def expected(prop: Property, value: str) -> str:
    """Why `value` is refused in a column of `prop`, and what to write instead."""
    kind = prop.type
    if kind is PropertyType.DATE:
        return f"`{value}` is not a date: write DD/MM/YYYY, e.g. 28/02/2026"
    if kind is PropertyType.DATETIME:
        return f"`{value}` is not a date and time: write DD/MM/YYYY HH:MM, e.g. 28/02/2026 09:30"
    if kind is PropertyType.INT:
        return f"`{value}` is not a whole number: write digits only, e.g. 42"
    if kind is PropertyType.DECIMAL:
        return f"`{value}` is not a number: write it like 12.5"
    if kind is PropertyType.BOOL:
        return f"`{value}` is not true or false: write true or false"
    if kind is PropertyType.ENUM:
        return f"`{value}` is not one of: " + ", ".join(prop.values or [])
    return f"`{value}` is not valid here"


def parse_value(prop: Property, text: str | None) -> str | None:
    """One cell as `parse_cells` reads it; ValueError (with `expected`'s message) when it is
    not a value of `prop`."""
    frame = pl.DataFrame({"v": [text]}, schema={"v": pl.String})
    frame = frame.select(cell_text("v").alias("v"))
    parsed = parse_cells("v", prop)
    row = frame.select(parsed.value.alias("value"), parsed.invalid.alias("invalid")).row(0)
    if row[1]:
        raise ValueError(expected(prop, str(frame["v"][0])))
    return row[0]  # type: ignore[no-any-return]
