"""The diff's full join of the file's (key, hash) rows with the stored ones: merged by binary
search when both are sorted by key, else joined; the same rows either way."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from headcount.sync.diff import OLD_HASH, _joined
from headcount.sync.prepared import HASH, KEY, LINE

KEYS = st.sets(st.text(alphabet="abAé0 ", max_size=4), max_size=30)


@settings(max_examples=200, deadline=None)
@given(ours=KEYS, theirs=KEYS, sort_ours=st.booleans(), sort_theirs=st.booleans())
def test_merge_and_join_give_the_same_rows(ours: set[str], theirs: set[str], sort_ours: bool,
                                           sort_theirs: bool) -> None:
    incoming = pl.DataFrame({KEY: list(ours), HASH: [len(k) for k in ours],
                             LINE: range(len(ours))},
                            schema={KEY: pl.String, HASH: pl.Int64, LINE: pl.Int64})
    stored = pl.DataFrame({KEY: list(theirs), OLD_HASH: [-len(k) for k in theirs]},
                          schema={KEY: pl.String, OLD_HASH: pl.Int64})
    if sort_ours:
        incoming = incoming.sort(KEY)
    if sort_theirs:
        stored = stored.sort(KEY)
    expected = incoming.join(stored, on=KEY, how="full", coalesce=True)
    got = _joined(incoming, stored)
    assert got.columns == expected.columns
    assert got.sort(KEY).rows() == expected.sort(KEY).rows()
