"""Values that meet, for the tests of unique values (policy/unique.py): names in any case, with
the rules' prefixes and suffixes, numbered; and others (other letters, numbers, booleans)."""

from __future__ import annotations

from hypothesis import strategies as st

TEXT = st.text(alphabet=st.sampled_from("aAbBx-_.@ßİéÉ2"), max_size=8)
NAMES = st.sampled_from(["jd", "JD", "j@b", "J@B.c", "strasse", "Straße", "Kim", "\u212aim", "é"])
PREFIXES = ["x-", "X-", "é-", "ß", "K", "ss", ""]
SUFFIXES = ["-ext", "@a", "İ", "1", ""]


@st.composite
def derived(draw: st.DrawFn) -> str:
    """A name as a held value may carry it: prefixed, numbered, suffixed, in some case."""
    name, at, domain = draw(NAMES).partition("@")
    number = draw(st.sampled_from(["", "", "2", "3", "03", "12"]))
    value = draw(st.sampled_from(PREFIXES)) + name + number + at + domain + \
        draw(st.sampled_from(SUFFIXES))
    return draw(st.sampled_from([value, value.upper(), value.lower()]))


CANDIDATE = st.one_of(derived(), NAMES, TEXT)
HELD = st.one_of(derived(), derived(), TEXT, st.integers(0, 3), st.booleans(), st.just(1.5))
# (candidates, prefix, suffix, the target's own value)
REQUESTS = st.lists(st.tuples(st.lists(CANDIDATE, min_size=1, max_size=2),
                              st.sampled_from(["", "x-", "é-"]), st.sampled_from(["", "@a"]),
                              st.one_of(st.none(), CANDIDATE)), max_size=12)
AFFIXES = (st.lists(st.sampled_from(PREFIXES), max_size=3),
           st.lists(st.sampled_from(SUFFIXES), max_size=2))
