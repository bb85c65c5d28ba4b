"""The plain data that prepare hands to the diff: one table per entity type mapping, one per
association file, and the rows set aside with their reasons."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from headcount.connections.reader import LINE as SOURCE_LINE

KEY = "__key"
LINE = SOURCE_LINE  # the line a row starts on, as the reader gives it
TARGET = "__target"
HASH = "__hash"
DATA = "__data"
COMMAND = "__command"
NAV_PREFIX = "nav:"


def nav_column(navigation: str) -> str:
    return NAV_PREFIX + navigation


@dataclass(frozen=True)
class SetAsideRow:
    connection: str
    line: int | None
    key: str | None
    category: str  # empty_key | duplicate | invalid | ragged
    reason: str
    raw: dict[str, str | None]


@dataclass
class PreparedEntities:
    """Rows of one entity type: KEY, LINE, HASH, DATA (JSON of the scalar values), one list
    column per navigation read from the same file, COMMAND in incremental files."""

    entity_type: str
    connection: str
    frame: pl.DataFrame
    navigations: list[str]
    # Keys present in the file whose rows were set aside: never deleted nor changed by the run.
    held_keys: set[str] = field(default_factory=set)
    set_aside: list[SetAsideRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Lines of rows set aside before their key could be read: a complete run cannot tell which
    # resource they are, so it must not delete anything on their account.
    unkeyed_lines: list[int] = field(default_factory=list)


@dataclass
class PreparedAssociation:
    """A two-column association file: the whole truth for its navigation."""

    navigation: str
    source_type: str
    connection: str
    frame: pl.DataFrame  # KEY (source key), "__target", LINE
    set_aside: list[SetAsideRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Sources whose rows were set aside: their stored links are left as they are.
    held_sources: set[str] = field(default_factory=set)
    # Lines of rows set aside before their source's key could be read.
    unkeyed_lines: list[int] = field(default_factory=list)
