"""The names table's rows computed over a frame (naming.Template.frame): for any values — accents
composed or not, marks alone, case, punctuation, the separator — the search terms are what
`normalised`, the function queries go through, makes of the display name, the key and the
searched values."""

from __future__ import annotations

import json

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from headcount.repository.naming import SEPARATOR, Template, normalised

# Composed and decomposed accents, a mark alone, letters with no decomposition, other scripts,
# case Python and Rust see alike, punctuation and the separator itself.
LETTERS = "aZ09 -.'éÉe\u0301\u0301çŒßİıσΩǅÅångströmĳﬁẞỄ\u00a0\x1c\x1f\u2003\t"
VALUES = st.one_of(st.none(), st.text(alphabet=LETTERS, max_size=10))
FIELDS = ("LastName", "FirstName", "Mail")
TEMPLATE = Template("T", (("", "LastName"), (" ", "FirstName")), FIELDS, frozenset(), True, None)


def _expected_terms(display: str, key: str, values: dict[str, str | None]) -> str:
    others = normalised(" ".join([key, *(v for f in FIELDS if (v := values[f]) is not None)]))
    return " " + " ".join(p for p in (normalised(display), SEPARATOR, others) if p) + " "


@settings(max_examples=300, deadline=None)
@given(st.lists(st.fixed_dictionaries({f: VALUES for f in FIELDS}), min_size=1, max_size=20))
def test_terms_are_the_normalised_words(people: list[dict[str, str | None]]) -> None:
    rows = pl.DataFrame({"id": range(1, len(people) + 1),
                         "key": [f"K{i}" for i in range(len(people))],
                         "data": [json.dumps(p) for p in people]},
                        schema={"id": pl.Int64, "key": pl.String, "data": pl.String})
    out = TEMPLATE.frame(rows)
    assert out["resource_id"].to_list() == rows["id"].to_list()
    for (display, terms), key, values in zip(out.select("display", "terms").iter_rows(),
                                             rows["key"], people, strict=True):
        assert SEPARATOR not in display
        assert terms == _expected_terms(display, key, values)
