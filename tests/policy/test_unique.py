"""Unique values (SPEC §6.5): homonyms get more letters, then a number; prefixes and suffixes are
ignored by the check; reserved and previously issued values are never issued."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from headcount.policy.unique import UniqueValues, numbered


def test_homonyms_get_more_letters_then_a_number() -> None:
    logins = UniqueValues([], [], [])
    issued = [logins.allocate(["jdupont", "jedupont"], "", "", None)[0] for _ in range(4)]
    assert issued == ["jdupont", "jedupont", "jdupont2", "jdupont3"]


def test_prefixes_and_suffixes_are_ignored_by_the_check() -> None:
    logins = UniqueValues(["jdupont"], [], [])
    assert logins.allocate(["jdupont"], "x-", "", None) == ("x-jdupont2", "jdupont2")
    mails = UniqueValues([], [], [])
    assert mails.allocate(["jean.dupont"], "", "@a.example", None)[0] == "jean.dupont@a.example"
    assert mails.allocate(["jean.dupont"], "", "@b.example", None)[0] == \
        "jean.dupont2@b.example"


def test_reserved_and_used_values_are_never_issued_and_case_does_not_matter() -> None:
    logins = UniqueValues(["ADupont"], ["bdupont"], ["root"])
    assert logins.allocate(["adupont"], "", "", None)[0] == "adupont2"
    assert logins.allocate(["BDupont"], "", "", None)[0] == "BDupont2"
    assert logins.allocate(["root"], "", "", None)[0] == "root2"


def test_a_target_keeps_its_own_value() -> None:
    logins = UniqueValues(["jdupont", "jdupont2"], [], [])
    assert logins.allocate(["jdupont"], "", "", "jdupont2")[0] == "jdupont2"
    assert logins.allocate(["jdupont"], "", "", "jdupont")[0] == "jdupont"


def test_an_email_is_numbered_before_its_at() -> None:
    assert numbered("jean.dupont@headcount.example", 3) == "jean.dupont3@headcount.example"


@given(st.lists(st.tuples(st.sampled_from(["jdupont", "JDupont", "amartin", "root"]),
                          st.sampled_from(["", "x-"])), max_size=30),
       st.lists(st.sampled_from(["jdupont", "amartin2", "zz"]), max_size=3))
def test_no_core_is_ever_issued_twice(requests: list[tuple[str, str]], used: list[str]) -> None:
    values = UniqueValues([], used, ["root"])
    cores = []
    for core, prefix in requests:
        value, issued = values.allocate([core, core[:2] + core], prefix, "", None)
        assert issued is not None
        assert value == prefix + issued
        cores.append(issued.casefold())
    assert len(set(cores)) == len(cores)
    assert not set(cores) & ({u.casefold() for u in used} | {"root"})


_TEXT = st.text(alphabet=st.sampled_from("aAbBx-_.@ßİéÉ2"), max_size=8)


@given(held=st.lists(_TEXT, max_size=30),
       prefixes=st.lists(st.sampled_from(["x-", "X-", "ext.", "é-", "ß", ""]), max_size=3),
       suffixes=st.lists(st.sampled_from(["-ext", "@a", "İ", ""]), max_size=2))
def test_held_values_as_a_column_take_what_they_take_one_by_one(
        held: list[str], prefixes: list[str], suffixes: list[str]) -> None:
    """A population's logins read as a column are folded and stripped set-wise: the same
    cores are taken as when each value is given one by one."""
    one_by_one = UniqueValues(held, (), (), prefixes, suffixes)
    as_column = UniqueValues((), (), (), prefixes, suffixes,
                             held_texts=pl.Series(held, dtype=pl.String))
    assert as_column.taken == one_by_one.taken
