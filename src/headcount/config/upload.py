"""Settings of manual upload (SPEC §9): how large a file may be, what becomes of a workbook's
formulas, and which user types are fixed-term contracts that need an end date."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from headcount.config.base import ConfigModel


class UploadSettings(ConfigModel):
    max_megabytes: float = Field(
        50, gt=0, description="The largest file an upload accepts, in megabytes (MB = 1,048,576 "
                              "bytes); a larger one is refused before it is read.")
    formulas: Literal["cached", "refuse"] = Field(
        "cached", description="What becomes of the formulas of an Excel workbook: `cached` reads "
                              "each as the value Excel saved with it (never computed here) and "
                              "lists it; `refuse` refuses the workbook. Formulas in CSV files are "
                              "always refused.")
    end_date_required: list[str] = Field(
        default_factory=list,
        description="Keys of the user types whose records need a contract end date "
                    "(fixed-term contracts, interims, trainees): verify refuses such a record "
                    "without one.")

    @property
    def max_bytes(self) -> int:
        return int(self.max_megabytes * 1024 * 1024)
