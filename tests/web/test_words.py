"""Kinds, states, durations and sizes in words (issue 12), in English and in French."""

from __future__ import annotations

import pytest

from headcount.web import i18n, words


@pytest.mark.parametrize(("seconds", "text"), [
    (None, ""), (0.04, "0 s"), (0.4, "0.4 s"), (9.96, "10 s"), (12.4, "12 s"), (72, "1 min 12 s"),
    (3600 + 5 * 60 + 9, "1 h 05 min"),
])
def test_duration(seconds: float | None, text: str) -> None:
    with i18n.use_locale("en"):
        assert words.duration(seconds) == text


@pytest.mark.parametrize(("octets", "text"), [
    (None, ""), (0, "0 B"), (812, "812 B"), (25_210, "25.2 kB"), (3_400_000, "3.4 MB"),
    (123_456_789, "123 MB"), (2 * 10**12, "2 TB"),
])
def test_size(octets: int | None, text: str) -> None:
    with i18n.use_locale("en"):
        assert words.size(octets) == text


def test_numbers_follow_the_language() -> None:
    with i18n.use_locale("fr"):
        assert words.size(3_400_000).startswith("3,4")
        assert words.duration(0.4).startswith("0,4")


def test_kinds_and_states_in_words() -> None:
    with i18n.use_locale("en"):
        assert [words.change_kind(k) for k in
                ("insert", "update", "delete", "link_insert", "link_delete")] == [
            "Created", "Changed", "Deleted", "Linked", "Unlinked"]
        assert words.order_kind("modified") == "Modify"
        assert words.run_state("succeeded with warnings") == "Succeeded with warnings"
        assert words.run_mode("evaluation") == "Date evaluation"
        assert words.run_state("something new") == "something new"


@pytest.mark.parametrize(("language", "value", "kind", "text"), [
    ("en", "2026-11-30", "date", "Nov 30, 2026"),
    ("fr", "2026-11-30", "date", "30 nov. 2026"),
    ("en", "12345", "int", "12,345"),
    ("fr", "true", "bool", "oui"),
    ("en", False, "bool", "no"),
    ("en", None, "date", "—"),
    ("en", "", "string", "—"),
    ("en", "not a day", "date", "not a day"),
    ("en", ["2026-01-02", "2026-03-04"], "date", "Jan 2, 2026, Mar 4, 2026"),
    ("en", "E00617", "string", "E00617"),
])
def test_a_value_reads_as_its_type(language: str, value: object, kind: str, text: str) -> None:
    with i18n.use_locale(language):
        assert words.typed(value, kind) == text
