"""Texts of the templates that do not go through gettext (issue 12: "a test fails when a template
has an untranslated string"). A template's raw text — what is neither a `{{ … }}` expression, a
`{% trans %}` block nor a comment — is parsed as HTML; any letter in its text nodes or in the
attributes people read (title, aria-label, placeholder, alt, label, value of a button) is a string
that reaches the page in English whatever the language. What is in <code>, <kbd> or <samp> is
syntax (a command, a column name), the same in every language."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment

READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "label", "aria-description"}
# Not words: the product's name, units and symbols kept in every language.
ALLOWED = {"headcount", "CSV", "XLSX", "API", "OpenAPI", "JSON", "LDIF", "SCIM", "htmx"}
LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
HOLE = "\u2063"  # what an expression leaves in the text: not a letter


def _raw_text(env: Environment, source: str) -> str:
    """The template's literal parts, each expression as HOLE, trans blocks, statements and
    comments dropped; on the same lines as in the template (HTMLParser's positions stay true)."""
    out: list[str] = []
    lines = 1
    skipping = 0
    statement: list[str] | None = None
    for line, kind, value in env.lex(source):
        if kind == "block_begin":
            statement = []
        elif kind == "name" and statement == []:
            statement.append(value)
            if value == "trans":
                skipping += 1
            elif value == "endtrans":
                skipping = max(0, skipping - 1)
        elif kind == "block_end":
            statement = None
        elif kind in ("data", "variable_end") and not skipping:
            if line > lines:
                out.append("\n" * (line - lines))
                lines = line
            text = value if kind == "data" else HOLE
            out.append(text)
            lines += text.count("\n")
    return "".join(out)


class _Texts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0
        self._button = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code", "kbd", "samp"):
            self._skip += 1
        named = dict(attrs)
        for name, value in attrs:
            readable = name in READ_ATTRIBUTES or (
                name == "value" and tag == "input" and named.get("type") in ("submit", "button"))
            if readable and value:
                self._check(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code", "kbd", "samp"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._check(data)

    def _check(self, text: str) -> None:
        words = [w for w in re.split(rf"[\s{HOLE}]+", text) if LETTER.search(w)]
        words = [w for w in words if w.strip(".,:;()·—-") not in ALLOWED]
        if words:
            self.found.append(f"{self.getpos()[0]}: " + " ".join(text.split()).replace(HOLE, "…"))


def _chosen_words(env: Environment, source: str) -> list[str]:
    """Words an expression chooses between (`'item' if n == 1 else 'items'`, a dict's values):
    English text that reaches the page without gettext."""
    found: list[str] = []
    tokens = [(line, kind, value) for line, kind, value in env.lex(source)
              if kind != "whitespace"]
    for i, (line, kind, value) in enumerate(tokens):
        # Words, not data such as an icon's path ('M12 2a7 7 0 0 0…'): no digit in them.
        if kind != "string" or not WORD.search(value) or re.search(r"\d", value):
            continue
        after = tokens[i + 1][2] if i + 1 < len(tokens) else ""
        before = tokens[i - 1][2] if i else ""
        # `'a' if … else 'b'`, or a dict's value `{'none': 'stay undecided'}`.
        if after == "if" or before in ("else", ":"):
            found.append(f"{line}: {value}")
    return found


def untranslated(template: Path, env: Environment) -> list[str]:
    """The template's texts that are not translatable, with their line."""
    source = template.read_text(encoding="utf-8")
    parser = _Texts()
    parser.feed(_raw_text(env, source))
    parser.close()
    return [f"{template.name}:{found}" for found in parser.found + _chosen_words(env, source)]
