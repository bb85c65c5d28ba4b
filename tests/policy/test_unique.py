"""Unique values (SPEC §6.5): homonyms get more letters, then a number; prefixes and suffixes are
ignored by the check; reserved and previously issued values are never issued."""

from __future__ import annotations

import re
from collections.abc import Sequence

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from headcount.policy.unique import UniqueValues, numbered
from uniquevalues import AFFIXES, CANDIDATE, HELD, REQUESTS, TEXT


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


@given(held=st.lists(TEXT, max_size=30),
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


class _Index:
    """A probe (policy.unique.Probe) on the contract of the deployment's index on a unique
    rule's values (query_indexes.unique_text), over values in memory: an ASCII text by its
    lowercase, any other value under UNUSUAL, given with the first answer; and the table of
    values issued."""

    UNUSUAL = ""

    def __init__(self, held: Sequence[object], used: list[str]) -> None:
        self.values, self.issued = held, {u.casefold() for u in used}
        self.asked: list[str] = []
        self.first = True

    def _text(self, value: object) -> str:
        if isinstance(value, str) and value.isascii():
            return value.lower()
        return self.UNUSUAL

    def held(self, folded: Sequence[str]) -> list[object]:
        asked = [*folded, self.UNUSUAL] if self.first else folded
        self.first = False
        self.asked += asked
        return [v for v in self.values if self._text(v) in asked]

    def used(self, cores: Sequence[str]) -> set[str]:
        return self.issued & set(cores)

    def held_numbered(self, names: Sequence[str]) -> list[object]:
        self.asked += [f"{n}…" for n in names]
        return [v.lower() for v in self.values if isinstance(v, str) and v.isascii()
                and any(re.match(re.escape(n) + "[0-9]", v.lower()) for n in names)]

    def used_numbered(self, name: str) -> set[str]:
        return {u for u in self.issued if re.match(re.escape(name) + "[0-9]", u)}


@settings(max_examples=300)
@given(held=st.lists(HELD, max_size=20), used=st.lists(CANDIDATE, max_size=5),
       prefixes=AFFIXES[0], suffixes=AFFIXES[1], requests=REQUESTS)
def test_a_probe_issues_what_the_whole_population_read_issues(
        held: list[object], used: list[str], prefixes: list[str], suffixes: list[str],
        requests: list[tuple[list[str], str, str, str | None]]) -> None:
    """A scoped run asks the index about the values it considers only: it issues exactly
    the values it would issue had it read every held value."""
    whole = UniqueValues(held, used, ["root"], prefixes, suffixes)
    index = _Index(held, used)
    probed = UniqueValues((), (), ["root"], prefixes, suffixes, probe=index)
    for candidates, prefix, suffix, current in requests:
        assert probed.allocate(candidates, prefix, suffix, current) == \
            whole.allocate(candidates, prefix, suffix, current)


def test_a_probe_asks_about_the_values_considered_only() -> None:
    index = _Index([f"user{n}" for n in range(1000)] + ["x-jdupont", "Élodie"], [])
    logins = UniqueValues((), (), (), ["x-"], (), probe=index)
    assert logins.allocate(["jdupont", "jedupont"], "", "", None) == ("jedupont", "jedupont")
    assert logins.allocate(["élodie"], "", "", None) == ("élodie2", "élodie2")
    # The candidates with their prefixed forms, then what the index does not fold (with the
    # first answer), then every numbered form of a homonym at once.
    assert index.asked == ["jdupont", "jedupont", "x-jdupont", "x-jedupont", "",
                           "x-élodie", "élodie", "x-élodie…", "élodie…"]
