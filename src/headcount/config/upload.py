"""Settings of manual upload (SPEC §9): how large a file may be, and which user types are
fixed-term contracts that need an end date."""

from __future__ import annotations

from pydantic import Field

from headcount.config.base import ConfigModel


class UploadSettings(ConfigModel):
    max_megabytes: float = Field(
        50, gt=0, description="The largest file an upload accepts, in megabytes (MB = 1,048,576 "
                              "bytes); a larger one is refused before it is read.")
    end_date_required: list[str] = Field(
        default_factory=list,
        description="Keys of the user types whose records need a contract end date "
                    "(fixed-term contracts, interims, trainees): verify refuses such a record "
                    "without one.")

    @property
    def max_bytes(self) -> int:
        return int(self.max_megabytes * 1024 * 1024)
