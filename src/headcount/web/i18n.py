"""The pages in English or French (issue 12): gettext catalogs read with Babel, the language from
the user's preference or the browser's `Accept-Language`, dates, times and numbers formatted for
that language, times in the user's time zone.

The language and time zone of the request being rendered are context variables, set by
`use_locale` (the middleware in app.py and `render`); templates call `_()` / `ngettext()` and the
filters below, Python code `gettext` and `ngettext` from this module. The catalogs are the `.po`
files under `web/locales/`, compiled in memory when first used: no binary file in the repository
to keep in step. `make messages` extracts the strings and updates the catalogs (babel.cfg)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "messages"
# The languages of the UI, the first is the default.
LANGUAGES = ("en", "fr")
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}

_language: ContextVar[str] = ContextVar("headcount_language", default=LANGUAGES[0])
_zone: ContextVar[str] = ContextVar("headcount_time_zone", default="UTC")


def negotiate(accept_language: str | None, preference: str | None = None) -> str:
    """The user's preference when it is a language of the UI, else the best match of the
    browser's `Accept-Language` (quality values honoured), else English."""
    if preference in LANGUAGES:
        return str(preference)
    wanted: list[tuple[float, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            wanted.append((-quality + i * 1e-6, tag.replace("_", "-")))
    chosen = Locale.negotiate([tag for _, tag in sorted(wanted)], list(LANGUAGES), sep="-")
    return str(chosen.language) if chosen else LANGUAGES[0]


def time_zone_of(name: str | None) -> str:
    """`name` when it is a known IANA time zone, else UTC."""
    if not name:
        return "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


@contextmanager
def use_locale(language: str, time_zone: str | None = None) -> Iterator[None]:
    """Render (or answer) in `language`, showing times in `time_zone`."""
    lang_token = _language.set(language if language in LANGUAGES else LANGUAGES[0])
    zone_token = _zone.set(time_zone_of(time_zone))
    try:
        yield
    finally:
        _language.reset(lang_token)
        _zone.reset(zone_token)


def set_request_locale(language: str, time_zone: str | None = None) -> None:
    """For the rest of the request (its task's context): set by `auth.current_user` once the user
    is known, so that texts made in Python before the page renders are in their language too."""
    _language.set(language if language in LANGUAGES else LANGUAGES[0])
    _zone.set(time_zone_of(time_zone))


def current_language() -> str:
    return _language.get()


def current_time_zone() -> str:
    return _zone.get()


@cache
def translations(language: str) -> NullTranslations:
    """The catalog of `language`, compiled from its .po file; English is the source text."""
    po = LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == LANGUAGES[0] or not po.is_file():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def lookup(message: str) -> str:
    """The translation of `message`, unformatted: Jinja's newstyle gettext formats it (with
    `%(name)s` variables escaped) — so a literal % in a template's text is written %%."""
    return translations(_language.get()).gettext(message)


def lookup_plural(singular: str, plural: str, n: int) -> str:
    return translations(_language.get()).ngettext(singular, plural, n)


def gettext(message: str, **variables: object) -> str:
    text = translations(_language.get()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(_language.get()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def _locale() -> Locale:
    try:
        return Locale.parse(_language.get())
    except (UnknownLocaleError, ValueError):
        return Locale.parse(LANGUAGES[0])


def format_number(value: int | float | Decimal | None) -> str:
    """1,234,567 in English, 1 234 567 in French; None stays empty."""
    if value is None:
        return ""
    return format_decimal(value, locale=_locale())


def format_date(value: date | datetime | str | None, form: str = "medium") -> str:
    """A day for people: 'Nov 30, 2026' / '30 nov. 2026'. ISO text is accepted (stored values)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        value = _in_zone(value).date()
    return _format_date(value, format=form, locale=_locale())


def format_datetime(value: datetime | str | None, form: str = "medium") -> str:
    """A moment in the user's time zone, with the zone shown: 'Nov 30, 2026, 2:05:39 PM CET'."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    moment = _in_zone(value)
    return f"{_format_datetime(moment, format=form, locale=_locale())} {moment.tzname() or ''}"\
        .rstrip()


def _in_zone(value: datetime) -> datetime:
    # Naive moments are stored UTC (SQLite drops the offset).
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(_zone.get()))
