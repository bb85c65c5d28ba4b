"""What every source reader returns: a table of strings with the line each row started on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

LINE = "__line"


@dataclass(frozen=True)
class SourceFile:
    """A file as it was read — or a directory server's search (`path` its URL and base DN):
    what the job result shows about it."""

    connection: str
    path: Path | str
    size: int
    checksum: str
    rows: int
    encoding: str

    @property
    def name(self) -> str:
        """How messages name it: a file by its name, a server by its URL."""
        return self.path.name if isinstance(self.path, Path) else self.path

    def as_dict(self) -> dict[str, object]:
        return {
            "connection": self.connection, "name": self.name, "path": str(self.path),
            "size": self.size, "checksum": self.checksum, "rows": self.rows,
            "encoding": self.encoding,
        }


@dataclass(frozen=True)
class RejectedRow:
    """A row that could not be read as a row (ragged, a NUL character): kept to be listed,
    never applied. `values` names the fields that line up with a named column of the header,
    so that its key can still be read and the stored resource kept."""

    line: int
    reason: str
    values: dict[str, str]
    # The line the record ends on: past `line` when a quote left open swallowed line breaks.
    last_line: int = 0
    # With fewer fields than the header, the last one may be cut short (a truncated line): its
    # column, whose value is no key to trust.
    cut_column: str | None = None


@dataclass(frozen=True)
class SpanningRecord:
    """A row read over several physical lines because a quoted field holds line breaks. Legal,
    but it is also what a misplaced quote does: the lines it swallowed are rows of their own."""

    line: int
    last_line: int
    # The fields that hold line breaks: the keys of swallowed rows would be found there.
    text: str
    # The first line inside those fields that has as many separators as a row; None if none.
    row_like_line: int | None


@dataclass
class SourceTable:
    """All columns as strings (None for a missing value), plus LINE: the row's first line."""

    file: SourceFile
    header: list[str]
    frame: pl.DataFrame
    rejected: list[RejectedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    header_line: int = 1
    spanning: list[SpanningRecord] = field(default_factory=list)
