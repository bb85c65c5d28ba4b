"""Error types shared by every stage. Each carries where the problem is and a human message;
the CLI and the UI render them, never a stack trace."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """A place in a file: 1-based line and column, both optional."""

    file: Path | str | None = None
    line: int | None = None
    column: int | str | None = None

    def __str__(self) -> str:
        parts = [str(self.file) if self.file else "<input>"]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        return ", ".join(parts)


class HeadcountError(Exception):
    """Base of the errors that are reported to users as a message."""

    exit_code = 1


class ConfigError(HeadcountError):
    """The configuration is invalid; carries every problem found, each with its location."""

    exit_code = 2

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class ConfigProblem:
    location: Location
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.location}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SourceError(HeadcountError):
    """A source file cannot be read as configured (missing, wrong encoding, missing column)."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class RunRefused(HeadcountError):
    """A run cannot start (another run of the connector is running, initial on a filled one…)."""

    exit_code = 4


class NotFound(HeadcountError):
    exit_code = 6


class RepositoryUnavailable(HeadcountError):
    """The database cannot be reached, or stayed locked by another process too long."""


def outside_failures() -> tuple[type[Exception], ...]:
    """The exception classes of the outside world that `user_error` turns into a message."""
    import csv
    import re

    from sqlalchemy import exc as sa_exc

    return (OSError, csv.Error, re.error, sa_exc.OperationalError)


def user_error(exc: BaseException) -> HeadcountError | None:
    """The message a person should see for an exception from the outside world (files,
    patterns, the database); None for a bug, which keeps its traceback."""
    import csv
    import re

    from sqlalchemy import exc as sa_exc

    if isinstance(exc, HeadcountError):
        return exc
    if isinstance(exc, OSError):
        where = Location(exc.filename) if exc.filename else None
        return SourceError(exc.strerror or str(exc), where)
    if isinstance(exc, csv.Error):
        return SourceError(f"the file cannot be read as CSV: {exc}")
    if isinstance(exc, re.error):
        return SourceError(f"invalid regular expression `{exc.pattern!s}`: {exc}")
    if isinstance(exc, sa_exc.OperationalError):
        return RepositoryUnavailable(f"the repository is unavailable: {exc.orig}")
    return None
