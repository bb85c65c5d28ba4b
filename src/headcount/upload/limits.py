"""How much an uploaded file may hold (SPEC §9, §13): each limit is checked before the reading it
protects, so that a small hostile file never costs the server minutes or gigabytes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from headcount.config.upload import UploadSettings


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_ratio: float = 100.0  # zip bomb: uncompressed / compressed, per member
    max_rows: int = 1_000_000
    max_columns: int = 1_000
    # Rows × columns from A1 to the last used cell, every tab together: the reader holds that
    # grid, empty cells included (the 50,000-row × 20-column bench is 1 million).
    max_cells: int = 5_000_000
    max_tabs: int = 100
    formulas: Literal["cached", "refuse"] = "cached"


def upload_limits(settings: UploadSettings) -> UploadLimits:
    """The limits a project's `upload` settings give."""
    return UploadLimits(max_bytes=settings.max_bytes, formulas=settings.formulas)


def amount(cells: int) -> str:
    """A count of cells as people read it: 983 million, 41,000."""
    return f"{cells / 1_000_000:,.0f} million" if cells >= 1_000_000 else f"{cells:,}"
