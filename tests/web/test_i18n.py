"""The language of a page: the user's preference, else the browser's Accept-Language; dates,
times and numbers formatted for it, times in the user's time zone."""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from headcount.web import i18n


@pytest.mark.parametrize(("header", "preference", "language"), [
    (None, None, "en"),
    ("fr", None, "fr"),
    ("fr-FR,fr;q=0.9,en;q=0.8", None, "fr"),
    ("de-DE,de;q=0.9,fr;q=0.5,en;q=0.4", None, "fr"),
    ("en-GB,fr;q=0.3", None, "en"),
    ("fr;q=0.2,en;q=0.9", None, "en"),
    ("de", None, "en"),
    ("fr", "en", "en"),
    ("en", "fr", "fr"),
    ("fr", "xx", "fr"),
    ("garbage;;q=,", None, "en"),
])
def test_negotiate(header: str | None, preference: str | None, language: str) -> None:
    assert i18n.negotiate(header, preference) == language


def test_french_catalog_and_formats() -> None:
    with i18n.use_locale("fr", "Europe/Paris"):
        assert i18n.gettext("Log out") == "Se déconnecter"
        assert i18n.format_number(1234567) == "1\u202f234\u202f567"
        assert i18n.format_date(date(2026, 11, 30)) == "30 nov. 2026"
        moment = i18n.format_datetime(datetime(2026, 11, 30, 13, 5, tzinfo=UTC))
        assert moment.startswith("30 nov. 2026")
        assert "14:05" in moment
        assert moment.endswith("CET")
    with i18n.use_locale("en"):
        assert i18n.gettext("Log out") == "Log out"
        assert i18n.format_number(1234567) == "1,234,567"
        assert i18n.format_datetime(datetime(2026, 11, 30, 13, 5)).endswith("UTC")


def test_unknown_time_zone_is_utc() -> None:
    assert i18n.time_zone_of("Mars/Olympus") == "UTC"
    assert i18n.time_zone_of("Europe/Paris") == "Europe/Paris"


def test_templates_format_once() -> None:
    """Jinja's newstyle gettext formats the translation itself: variables are escaped, %% is a
    literal percent sign, and a plural's count is `num`."""
    from headcount.web.rendering import TEMPLATES

    template = TEMPLATES.env.from_string(
        '{{ _("%(who)s did 100%%", who=who) }} · {{ ngettext("%(num)s run", "%(num)s runs", n) }}')
    with i18n.use_locale("en"):
        assert template.render(who="<b>", n=3) == "&lt;b&gt; did 100% · 3 runs"


def test_python_texts_of_a_request_are_in_its_language(tmp_path: Path) -> None:
    """A text made in Python by a route (before its page renders) is in the request's language:
    the language is set for the whole request once the user is known."""
    from fastapi import Depends, FastAPI
    from fastapi.testclient import TestClient

    from headcount.repository.users import User
    from headcount.web.auth import current_user

    app = FastAPI()

    async def fake_user() -> User:  # async, as auth.current_user: it runs in the request's task
        i18n.set_request_locale("fr")
        return User(1, "ann", "administrator")

    @app.get("/said")
    def said(user: User = Depends(fake_user)) -> dict[str, str]:  # noqa: B008
        return {"text": i18n.gettext("Log out"), "user": user.name}

    # The real dependency is a coroutine too, for the same reason.
    assert inspect.iscoroutinefunction(current_user)
    with TestClient(app) as client:
        assert client.get("/said").json()["text"] == "Se déconnecter"
