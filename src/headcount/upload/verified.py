"""What verify makes of an uploaded workbook (SPEC §9): each tab matched to its entity type,
its rows as the values they would leave in the repository, and every problem found, by tab, row
and column. Verify writes it; preview, load, the pages and the file sent back read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from headcount.config.model import EntityType
from headcount.upload.workbook import Workbook

Severity = Literal["error", "warning"]
# How a workbook changes the repository: the first load of an empty one, the whole truth for its
# tabs (what a tab does not list is deleted), or a mass update whose rows say what to do.
Mode = Literal["initial", "complete", "update"]
# The engine's commands (SPEC §4.2), from the Command column's Add / Modify / Delete / Merge.
COMMAND_OF = {"add": "insert", "modify": "update", "delete": "delete", "merge": "merge"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the file, in an HR operator's words."""

    tab: str  # the tab's name, as in the file
    row: int | None  # the row number Excel shows; None: the tab as a whole
    column: str | None  # the column's header as written; None: the row (or tab) as a whole
    letter: str | None  # the column's letter (A, B, … AA), to find the cell
    value: str | None  # what the cell holds
    message: str  # what is wrong and what would be right
    severity: Severity = "error"

    @property
    def where(self) -> str:
        """`tab Identity record, row 12, column Manager (F)`."""
        parts = [f"tab {self.tab}"]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column}" + (f" ({self.letter})" if self.letter else ""))
        return ", ".join(parts)


@dataclass(frozen=True)
class TabData:
    """A tab matched to its entity type, its rows as they would leave each resource.

    `frame` has LINE (`connections.reader.LINE`: the Excel row), COMMAND (`insert`, `update`,
    `delete`, `merge`, or null without a Command column) and one Utf8 column per property of
    the entity type (scalar and navigation, named by identifier), each in canonical text: dates
    `YYYY-MM-DD`, datetimes ISO 8601, booleans `true`/`false`, numbers as written, a navigation
    the target's key (multi-valued: keys joined by `;`), None for empty. A Modify or Merge row
    of a stored resource, and a column absent from the tab, carry the stored values already
    (NULL_NULL became None), so that each row is the whole resource after the load. A Delete
    row carries its key only. Rows with an error are not in it."""

    tab: str
    entity_type: EntityType
    headers: dict[str, str]  # property identifier → the header as written, for columns present
    frame: pl.DataFrame
    rows: int  # data rows read in the tab (notes row and empty rows not counted)


@dataclass(frozen=True)
class Verification:
    workbook: Workbook
    mode: Mode
    tabs: tuple[TabData, ...]
    problems: tuple[Problem, ...]
    # Tabs read but left alone, with why (`Lists`, a tab with no rows): shown, never errors.
    ignored: tuple[tuple[str, str], ...] = ()

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """Nothing in the way of a load: no error (warnings do not stop it)."""
        return not self.errors
