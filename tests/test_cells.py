"""Every download neutralises the cells a spreadsheet would run."""

from __future__ import annotations

import pytest

from headcount.cells import formula_safe


@pytest.mark.parametrize(("value", "shown"), [
    ("=1+2", "'=1+2"), ("+33 6", "'+33 6"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("Ada", "Ada"), ("a=b", "a=b"), ("", ""),
    (None, ""), (42, "42"),
])
def test_a_cell_a_spreadsheet_would_run_gets_an_apostrophe(value: object, shown: str) -> None:
    assert formula_safe(value) == shown
