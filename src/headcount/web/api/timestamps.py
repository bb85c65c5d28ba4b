"""Dates and instants as the API speaks them: RFC 3339, the only forms OpenAPI's `date` and
`date-time` formats allow. Every model and parameter that holds one uses these types, so no
route can answer a naive timestamp nor read `9.2e-176` as a date."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})",
                        re.ASCII)


def _written(pattern: re.Pattern[str], message: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        # Pydantic would otherwise read numbers, and numeric strings, as Unix timestamps.
        if isinstance(value, (str, bytes, int, float)) and not (
                isinstance(value, str) and pattern.fullmatch(value)):
            raise ValueError(message)
        return value

    return BeforeValidator(check)


def utc(value: datetime) -> datetime:
    """The instant in UTC: the repository stores UTC, and SQLite gives it back naive."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 9999-12-31T23:00-05:00 is after the last instant a datetime holds.
        raise ValueError("the instant is out of range") from None


Day = Annotated[date, _written(_FULL_DATE, "a date is written YYYY-MM-DD")]
Instant = Annotated[datetime, _written(_DATE_TIME, "an instant is written YYYY-MM-DDTHH:MM:SS "
                                                   "with its offset (Z or ±HH:MM), as RFC 3339 "
                                                   "says"), AfterValidator(utc)]
