"""The UI in English and French (issue 12, item 7): no template text escapes gettext, every
text the code asks for is in the French catalog, translated, with its variables and tags kept.
A new `_()` without `make messages` and its translation fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from headcount.web.i18n import LOCALES
from headcount.web.rendering import TEMPLATES
from untranslated import untranslated

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "src" / "headcount" / "web"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%%")
TAG = re.compile(r"</?[a-z]+[^>]*>")


def test_no_template_text_escapes_gettext() -> None:
    problems = [p for template in sorted((WEB / "templates").rglob("*.html"))
                for p in untranslated(template, TEMPLATES.env)]
    assert problems == [], "\n".join(problems)


def _extracted() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    method_map = [("src/headcount/web/**.py", "python"),
                  ("src/headcount/web/templates/**.html", "jinja2")]
    options = {"src/headcount/web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map=options):
        if isinstance(message, tuple):
            found.add((message[0], message[1]))
        else:
            found.add(message)
    return found


@pytest.fixture(scope="module")
def french() -> dict[str | tuple[str, str], object]:
    with (LOCALES / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale="fr")
    return {(m.id if isinstance(m.id, str) else (m.id[0], m.id[1])): m for m in catalog if m.id}


def test_every_text_is_in_the_french_catalog(french: dict[str | tuple[str, str], object]
                                             ) -> None:
    missing = sorted(str(m) for m in _extracted() - set(french))
    assert missing == [], "run `make messages` and translate:\n" + "\n".join(missing[:40])


def test_every_french_text_is_translated_with_its_variables_and_tags(
        french: dict[str | tuple[str, str], object]) -> None:
    problems = []
    for key, message in french.items():
        ids = key if isinstance(key, tuple) else (key,)
        string = getattr(message, "string", "")
        strings = string if isinstance(string, tuple) else (string,)
        if "fuzzy" in getattr(message, "flags", set()) or not all(strings):
            problems.append(f"not translated: {ids[0]!r}")
            continue
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        for text in strings:
            if not set(PLACEHOLDER.findall(text)) <= wanted:
                problems.append(f"unknown variable in {text!r}")
            if len(strings) == 1 and set(PLACEHOLDER.findall(text)) != wanted:
                problems.append(f"a variable is lost in {text!r}")
            if sorted(TAG.findall(text)) != sorted(TAG.findall(ids[0])):
                problems.append(f"tags differ in {text!r}")
    assert problems == [], "\n".join(problems[:40])
