"""A value typed by a person, checked against its property and given the canonical text form a
synchronization stores (sync.values): `true`, `2026-03-01`, `2026-03-01T08:00:00Z`, `12.5`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from headcount.config.model import Property, PropertyType

_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


# A value typed by a person: far beyond any name, title or address, far below a file.
MAX_VALUE = 4000


class InvalidValue(ValueError):
    """A value that its property cannot hold; the message says what a valid one looks like."""


def canonical(prop: Property, value: Any) -> str | None:
    """The stored form of `value` for `prop`; None (no value) for null or blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and "\x00" in value:
        raise InvalidValue(f"`{prop.identifier}` cannot hold a NUL character")
    if isinstance(value, str) and len(value) > MAX_VALUE:
        raise InvalidValue(f"`{prop.identifier}` holds at most {MAX_VALUE:,} characters")
    if isinstance(value, (dict, list)):
        raise InvalidValue(f"`{prop.identifier}` holds one value, not {type(value).__name__}")
    kind = prop.type
    if kind is PropertyType.BOOL:
        return _bool(prop, value)
    if kind is PropertyType.INT:
        return _int(prop, value)
    if kind is PropertyType.DECIMAL:
        return _decimal(prop, value)
    if kind is PropertyType.DATE:
        return _date(prop, value)
    if kind is PropertyType.DATETIME:
        return _datetime(prop, value)
    if kind is PropertyType.ENUM:
        return _enum(prop, value)
    if not isinstance(value, str):
        raise InvalidValue(f"`{prop.identifier}` is text: give a string, not {value!r}")
    return value.strip()


def _bool(prop: Property, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip().lower()
    if text in _TRUE:
        return "true"
    if text in _FALSE:
        return "false"
    raise InvalidValue(f"`{prop.identifier}` is true or false, not {value!r}")


def _int(prop: Property, value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10 ** 30:
        return str(value)
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,30}", value.strip()):
        return str(int(value.strip()))
    raise InvalidValue(f"`{prop.identifier}` is a whole number, not {value!r}")


def _decimal(prop: Property, value: Any) -> str:
    text = str(value).strip() if isinstance(value, (str, int, float)) \
        and not isinstance(value, bool) else ""
    if not _DECIMAL.fullmatch(text):
        raise InvalidValue(f"`{prop.identifier}` is a decimal number such as 12.5, "
                           f"not {value!r}")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise InvalidValue(f"`{prop.identifier}`: {value!r} is not a number") from exc
    shown = format(number.normalize(), "f")
    return "0" if shown in ("-0", "+0") else shown


def _date(prop: Property, value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise InvalidValue(f"`{prop.identifier}` is a date as YYYY-MM-DD (e.g. 2026-03-01), "
                           f"not {value!r}") from None


def _datetime(prop: Property, value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue(f"`{prop.identifier}` is a date and time in ISO 8601 (e.g. "
                           f"2026-03-01T08:00:00Z), not {value!r}") from None
    # Without an offset a time is UTC, as the repository stores every time.
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except OverflowError:
        raise InvalidValue(f"`{prop.identifier}`: {value!r} is out of range") from None


def _enum(prop: Property, value: Any) -> str:
    allowed = prop.values or []
    text = str(value).strip().lower() if isinstance(value, str) else None
    for candidate in allowed:
        if candidate.lower() == text:
            return candidate
    raise InvalidValue(f"`{prop.identifier}` is one of {', '.join(allowed)}; not {value!r}")
