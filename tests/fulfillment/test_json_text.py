"""The text an order's changes and a resource's values are stored as: the compact JSON the
standard library writes, whatever encoder writes it faster."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from headcount.fulfillment.direct import json_text

# Floats written without an exponent: Python writes 1e-05 and 1e+16 where orjson writes 1e-5
# and 1e16 (the same numbers, read back; see the last test).
_PLAIN_FLOATS = (st.floats(min_value=1e-4, max_value=1e15) | st.floats(min_value=-1e15,
                 max_value=-1e-4) | st.just(0.0))
_SCALARS = (st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | _PLAIN_FLOATS
            | st.text())
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(), inner, max_size=4), max_leaves=12)


@given(st.dictionaries(st.text(), _VALUES, max_size=6))
def test_the_text_is_what_the_standard_library_writes(values: dict[str, Any]) -> None:
    assert json_text(values) == json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def test_pairs_are_arrays_and_text_is_not_escaped() -> None:
    assert json_text({"Mail": (None, "zoë@example.com"), "n": ("a\x01\n\"", 1.5)}) == (
        '{"Mail":[null,"zoë@example.com"],"n":["a\\u0001\\n\\"",1.5]}')


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_float_reads_back_as_itself(number: float) -> None:
    assert json.loads(json_text({"n": number})) == {"n": number}
