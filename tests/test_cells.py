"""Every download neutralises the cells a spreadsheet would run."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headcount.cells import FORMULA_STARTS, formula_safe, formula_unsafe


@pytest.mark.parametrize(("value", "shown"), [
    ("=1+2", "'=1+2"), ("+33 6", "'+33 6"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("Ada", "Ada"), ("a=b", "a=b"), ("", ""),
    (None, ""), (42, "42"),
    ("\uff1d1+2", "'\uff1d1+2"), ("\uff0b33 6", "'\uff0b33 6"), ("\uff0d2", "'\uff0d2"),
    ("\uff20SUM(A1)", "'\uff20SUM(A1)"),
])
def test_a_cell_a_spreadsheet_would_run_gets_an_apostrophe(value: object, shown: str) -> None:
    assert formula_safe(value) == shown


@pytest.mark.parametrize(("text", "value"), [
    ("'=1+2", "=1+2"), ("'+33 6", "+33 6"), ("'\t=1", "\t=1"), ("'Ada", "'Ada"), ("Ada", "Ada"),
    ("''=1", "'=1"), ("'''=1", "''=1"), ("", ""), ("'\uff1d1", "\uff1d1"),
    ("'\uff20x", "\uff20x"),
])
def test_a_cell_read_back_loses_the_apostrophe_of_an_escaped_formula(text: str,
                                                                       value: str) -> None:
    assert formula_unsafe(text) == value


@given(st.text() | st.builds("".join, st.lists(st.sampled_from(("'", *FORMULA_STARTS, "1", "a")))))
def test_formula_unsafe_gives_back_what_formula_safe_escaped(text: str) -> None:
    shown = formula_safe(text)
    assert not shown.startswith(FORMULA_STARTS)
    assert formula_unsafe(shown) == text
