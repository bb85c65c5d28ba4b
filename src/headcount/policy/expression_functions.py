"""The functions of the expression language (SPEC §6.2), each documented in docs/expressions.md.

They are plain functions of values. A function given None for the value it works on returns None;
one that cannot work on a value raises `BadValue`, which the evaluator reports as an
`EvaluationError` naming the function and the expression.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo


class BadValue(ValueError):
    """A function cannot work on a value (a text that is no date, a negative length…)."""

    def __init__(self, message: str, value: object) -> None:
        super().__init__(message)
        self.message = message
        self.value = value


@dataclass(frozen=True)
class Signature:
    """The parameters of a function: positional names, how many are required, the defaults of
    the others, and those that may be given by name (`sep=`, `format=`, `tz=`, `default=`)."""

    params: tuple[str, ...]
    required: int
    defaults: dict[str, str | None] = field(default_factory=dict)
    keywords: frozenset[str] = frozenset()
    variadic: bool = False


@dataclass(frozen=True)
class Function:
    """One function of the language. `implementation` is None for the four that the compiler
    builds itself: `today` (clock), `lookup` (tables), `coalesce` and `if_empty` (lazy)."""

    name: str
    usage: str
    signature: Signature
    implementation: Callable[..., object] | None


def text_of(value: object) -> str:
    """The text of a single value: numbers as written, dates in ISO 8601, booleans as
    `true`/`false`."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, date):  # datetime included
        return value.isoformat()
    raise BadValue(f"`{value!r}` is not a single value", value)


def whole_number(value: object, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise BadValue(f"{what} must be a whole number, not `{value!r}`", value)


def zone(name: object) -> tzinfo:
    """The time zone of an IANA name (`Europe/Paris`, `UTC`)."""
    if not isinstance(name, str):
        raise BadValue(f"`{name!r}` is not a time zone name", name)
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        raise BadValue(f"unknown time zone `{name}`", name) from None


def _a_date(value: object, function: str) -> date:
    if isinstance(value, date):
        return value
    raise BadValue(f"`{value!r}` is not a date; parse text with date() or datetime() first "
                   f"({function})", value)


def lower(s: object) -> str | None:
    if s is None:
        return None
    return (s if type(s) is str else text_of(s)).lower()


def upper(s: object) -> str | None:
    if s is None:
        return None
    return (s if type(s) is str else text_of(s)).upper()


def trim(s: object) -> str | None:
    if s is None:
        return None
    return (s if type(s) is str else text_of(s)).strip()


# Letters that NFKD does not decompose into a base letter plus marks. The titlecase forms
# (Ae, Oe, Th) read best in names; µ is the micro sign, which NFKD turns into Greek mu.
_LETTERS = str.maketrans({
    "Æ": "Ae", "æ": "ae", "Ǽ": "Ae", "ǽ": "ae", "Ǣ": "Ae", "ǣ": "ae",
    "Œ": "Oe", "œ": "oe", "Ø": "O", "ø": "o", "Ǿ": "O", "ǿ": "o",
    "ß": "ss", "ẞ": "SS", "Ł": "L", "ł": "l", "Ŀ": "L", "ŀ": "l",
    "Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Þ": "Th", "þ": "th",
    "Ħ": "H", "ħ": "h", "ı": "i", "Ŋ": "N", "ŋ": "n", "ŉ": "n", "Ŧ": "T", "ŧ": "t",
    "ĸ": "k", "ƒ": "f", "µ": "u",
})


def unaccent(s: object) -> str | None:
    if s is None:
        return None
    text = s if type(s) is str else text_of(s)
    return text if text.isascii() else _unaccented(text)


def _unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Recompose what is left (Hangul, letters of other scripts) into its usual form.
    return unicodedata.normalize("NFC", kept)


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def slug(s: object, sep: object = ".") -> str | None:
    if s is None:
        return None
    if not isinstance(sep, str):
        raise BadValue(f"the separator must be text, not `{sep!r}`", sep)
    text = s if type(s) is str else text_of(s)
    if not text.isascii():
        text = _unaccented(text)
    return sep.join(_NOT_ALNUM.sub(" ", text.lower()).split())


def left(s: object, n: object) -> str | None:
    if s is None:
        return None
    count = whole_number(n, "the length")
    return (s if type(s) is str else text_of(s))[:max(count, 0)]


def right(s: object, n: object) -> str | None:
    if s is None:
        return None
    count = whole_number(n, "the length")
    return (s if type(s) is str else text_of(s))[-count:] if count > 0 else ""


def replace(s: object, old: object, new: object) -> str | None:
    if s is None:
        return None
    text = s if type(s) is str else text_of(s)
    old_text = "" if old is None else text_of(old)
    new_text = "" if new is None else text_of(new)
    return text.replace(old_text, new_text) if old_text else text


def concat(*parts: object) -> str:
    try:
        return "".join(parts)  # type: ignore[arg-type]  # all text: the common case
    except TypeError:
        return "".join([p if type(p) is str else text_of(p) for p in parts if p is not None])


def first_word(s: object) -> str | None:
    if s is None:
        return None
    words = (s if type(s) is str else text_of(s)).split(maxsplit=1)
    return words[0] if words else ""


def length(s: object) -> int | None:
    if s is None:
        return None
    return len(s if type(s) is str else text_of(s))


def parse_date(s: object, format: object = "%Y-%m-%d") -> date | None:
    if s is None:
        return None
    if isinstance(s, datetime):
        return s.date()
    if isinstance(s, date):
        return s
    if not isinstance(s, str):
        raise BadValue(f"`{s!r}` is not a text to read a date from", s)
    if not isinstance(format, str):
        raise BadValue(f"the format must be text, not `{format!r}`", format)
    text = s.strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, format).date()
    except ValueError:
        raise BadValue(f"`{s}` is not a date in the format `{format}`", s) from None


def parse_datetime(s: object, format: object, tz: object = "UTC") -> datetime | None:
    """A datetime aware of its time zone: `tz` unless the text carries an offset (`%z`)."""
    if s is None:
        return None
    if isinstance(s, datetime):
        return s if s.tzinfo is not None else s.replace(tzinfo=zone(tz))
    if isinstance(s, date):
        return datetime(s.year, s.month, s.day, tzinfo=zone(tz))
    if not isinstance(s, str):
        raise BadValue(f"`{s!r}` is not a text to read a datetime from", s)
    if not isinstance(format, str):
        raise BadValue(f"the format must be text, not `{format!r}`", format)
    text = s.strip()
    if not text:
        return None
    try:
        parsed = datetime.strptime(text, format)
    except ValueError:
        raise BadValue(f"`{s}` is not a datetime in the format `{format}`", s) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone(tz))


def add_days(d: object, n: object) -> date | None:
    if d is None:
        return None
    start = _a_date(d, "add_days")
    days = whole_number(n, "the number of days")
    try:
        return start + timedelta(days=days)
    except OverflowError:
        raise BadValue(f"`{start.isoformat()}` plus {days} days is out of range", d) from None


def format_date(d: object, format: object) -> str | None:
    if d is None:
        return None
    value = _a_date(d, "format_date")
    if not isinstance(format, str):
        raise BadValue(f"the format must be text, not `{format!r}`", format)
    return value.strftime(format)


def _sig(*params: str, required: int | None = None, variadic: bool = False,
         **defaults: str | None) -> Signature:
    keywords = frozenset(defaults) | frozenset(p for p in params if p in _KEYWORDS)
    return Signature(params, len(params) - len(defaults) if required is None else required,
                     defaults, keywords, variadic)


# The only parameters that may be given by name, whichever function they belong to.
_KEYWORDS = frozenset({"sep", "format", "tz", "default"})

FUNCTIONS: dict[str, Function] = {f.name: f for f in [
    Function("lower", "lower(s)", _sig("s"), lower),
    Function("upper", "upper(s)", _sig("s"), upper),
    Function("trim", "trim(s)", _sig("s"), trim),
    Function("unaccent", "unaccent(s)", _sig("s"), unaccent),
    Function("slug", 'slug(s, sep=".")', _sig("s", "sep", sep="."), slug),
    Function("left", "left(s, n)", _sig("s", "n"), left),
    Function("right", "right(s, n)", _sig("s", "n"), right),
    Function("replace", "replace(s, old, new)", _sig("s", "old", "new"), replace),
    Function("concat", "concat(a, b, ...)", _sig("parts", required=1, variadic=True), concat),
    Function("coalesce", "coalesce(a, b, ...)", _sig("values", required=1, variadic=True),
             None),
    Function("first_word", "first_word(s)", _sig("s"), first_word),
    Function("length", "length(s)", _sig("s"), length),
    Function("if_empty", "if_empty(a, b)", _sig("a", "b"), None),
    Function("date", 'date(s, format="%Y-%m-%d")', _sig("s", "format", format="%Y-%m-%d"),
             parse_date),
    Function("datetime", 'datetime(s, format, tz="UTC")',
             _sig("s", "format", "tz", required=2, tz="UTC"), parse_datetime),
    Function("add_days", "add_days(d, n)", _sig("d", "n"), add_days),
    Function("today", 'today(tz="UTC")', _sig("tz", tz="UTC"), None),
    Function("format_date", "format_date(d, format)", _sig("d", "format"), format_date),
    Function("lookup", "lookup(table, key, default=None)",
             _sig("table", "key", "default", default=None), None),
]}
