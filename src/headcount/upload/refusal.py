"""Why an uploaded file is not read: the file, and the reason in an HR operator's words."""

from __future__ import annotations

from headcount.errors import HeadcountError


class UploadRefused(HeadcountError):
    """The file is refused as a whole before anything is loaded."""

    exit_code = 4  # as a run that cannot start: nothing was read, nothing changed

    def __init__(self, file: str, reason: str) -> None:
        self.file = file
        self.reason = reason
        super().__init__(f"{file}: {reason}")
