"""Unique values (SPEC §6.5): logins, e-mails and identifiers that no two targets share, and that
are never issued twice. A homonym tries the rule's alternatives (more letters) before a number;
the check is on the core of the value, whatever prefix or suffix a user type adds (`x-jdupont`
and `jdupont` are the same login); reserved values are never issued."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence, Set
from typing import Protocol, runtime_checkable

import polars as pl


@runtime_checkable
class IssuedValues(Protocol):
    """The values ever issued, which a run may ask about a few at a time."""

    def matching(self, key: tuple[str, str], cores: Sequence[str]) -> Set[str]:
        """Those of `cores` (folded) issued for (resource type, property)."""
        ...

    def matching_numbered(self, key: tuple[str, str], name: str) -> Set[str]:
        """The cores issued for (resource type, property) that are `name` followed by a
        digit."""
        ...


class Probe(Protocol):
    """Where a scoped run asks whether a value is taken, rather than reading them all."""

    def held(self, folded: Sequence[str]) -> Iterable[object]:
        """The values targets hold whose fold is one of `folded` — with, from the first
        call on, any whose fold only Python knows."""
        ...

    def used(self, cores: Sequence[str]) -> Iterable[str]:
        """Those of `cores` (folded) issued before."""
        ...

    def held_numbered(self, names: Sequence[str]) -> Iterable[object]:
        """The folds of the values targets hold that are one of `names` followed by a digit
        (ASCII texts: the others come with `held`'s first answer)."""
        ...

    def used_numbered(self, name: str) -> Iterable[str]:
        """The cores issued before that are `name` (folded) followed by a digit."""
        ...


def fold(value: object) -> str:
    return str(value).casefold()


def numbered(core: str, n: int) -> str:
    """`jean.dupont2`; an e-mail is numbered before its `@`."""
    name, at, domain = core.partition("@")
    return f"{name}{n}{at}{domain}"


def _numbered_form(core: str, prefix: str, suffix: str, own: str) -> bool:
    """Whether a target's own (folded) value is a numbered form of `core` (jean.dupont2)."""
    name, at, domain = fold(core).partition("@")
    pattern = re.escape(fold(prefix) + name) + r"\d+" + re.escape(at + domain + fold(suffix))
    return re.fullmatch(pattern, own) is not None


class UniqueValues:
    """The cores taken for one property of one resource type, for the rest of a run."""

    def __init__(self, held: Iterable[object], used: Iterable[str], reserved: Iterable[str],
                 prefixes: Iterable[str] = (), suffixes: Iterable[str] = (),
                 held_texts: pl.Series | None = None, used_folded: bool = False,
                 probe: Probe | None = None) -> None:
        """`held`: the values targets hold; `held_texts`, more of them as a text column (a
        whole population's logins, folded and stripped set-wise); `probe`: where to ask for
        more, the values a run considers only (a scoped run: a next day's few joiners)."""
        # The prefixes and suffixes the rule gives, longest first: a held `x-jdupont` takes
        # the core `jdupont` too.
        self.prefixes = sorted({fold(p) for p in prefixes if p}, key=len, reverse=True)
        self.suffixes = sorted({fold(x) for x in suffixes if x}, key=len, reverse=True)
        # The table of used values holds them folded already (remember_issued).
        self.taken = set(used) if used_folded else {fold(v) for v in used}
        for value in held:
            if value is not None:
                self.taken |= {fold(value), self.core_of(value)}
        if held_texts is not None:
            self._take_texts(held_texts)
        self.reserved = {fold(v) for v in reserved}
        # The last number tried per value: numbers only grow within a run, so the thousandth
        # jmartin does not try the 999 numbers before (that would be quadratic).
        self.last: dict[str, int] = {}
        self.probe = probe
        self.probed: set[str] = set()  # the folded cores asked of the probe
        self.ranged: set[str] = set()  # the folded names whose numbered forms were asked

    def look(self, cores: Iterable[str]) -> None:
        """Ask the probe about the cores not asked yet: a held value has one as its fold or,
        the rule's prefix and suffix taken off, as its core (`x-jdupont`)."""
        if self.probe is None:
            return
        new = sorted({fold(c) for c in cores} - self.probed)
        if not new:
            return
        self.probed.update(new)
        forms = sorted({p + core + x for core in new for p in ("", *self.prefixes)
                        for x in ("", *self.suffixes)})
        for value in self.probe.held(forms):
            self.taken |= {fold(value), self.core_of(value)}
        self.taken.update(self.probe.used(new))

    def look_numbered(self, core: str) -> None:
        """Ask the probe about every numbered form of a core at once (a homonym's): the values
        that are its name followed by a digit, whatever follows (`jdupont2`, `x-jdupont17`)."""
        name = fold(core).partition("@")[0]
        if self.probe is None or name in self.ranged:
            return
        self.ranged.add(name)
        for value in self.probe.held_numbered(sorted({p + name for p in ("", *self.prefixes)})):
            self.taken |= {fold(value), self.core_of(value)}
        self.taken.update(self.probe.used_numbered(name))

    def _take_texts(self, texts: pl.Series) -> None:
        # ASCII folds as it lowercases: polars does those; the others go one by one.
        plain = texts.str.contains(r"^[\x00-\x7f]*$")
        for value in texts.filter(~plain).to_list():
            self.taken |= {fold(value), self.core_of(value)}
        folded = pl.col("t")
        stripped = _stripped(_stripped(folded, self.prefixes, True), self.suffixes, False)
        frame = pl.DataFrame({"t": texts.filter(plain).str.to_lowercase()}).select(
            folded, stripped.alias("core"))
        self.taken.update(frame["t"].to_list())
        self.taken.update(frame["core"].to_list())

    def core_of(self, value: object) -> str:
        """A held value without the prefix and suffix the rule may have given it, folded."""
        text = fold(value)
        for prefix in self.prefixes:
            if text.startswith(prefix) and len(text) > len(prefix):
                text = text[len(prefix):]
                break
        for suffix in self.suffixes:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[:-len(suffix)]
                break
        return text

    def bare(self, value: object) -> str:
        """A held value without the prefix and suffix the rule may have given it, as written:
        what carries over when the prefix changes (`x-jdupont` → `jdupont`)."""
        text = str(value)
        for prefix in self.prefixes:
            if fold(text).startswith(prefix) and len(text) > len(prefix):
                text = text[len(prefix):]
                break
        for suffix in self.suffixes:
            if fold(text).endswith(suffix) and len(text) > len(suffix):
                text = text[:-len(suffix)]
                break
        return text

    def allocate(self, candidates: Sequence[str | None], prefix: str, suffix: str,
                 current: object) -> tuple[str | None, str | None]:
        """The value for a target and its core. A target keeps its own value when it is one of
        its candidates (or their numbered forms)."""
        cores = [c for c in candidates if c]
        if not cores:
            return None, None
        own = fold(current) if current is not None else None
        self.look(cores)

        def free(core: str) -> bool:
            if own is not None and fold(prefix + core + suffix) == own:
                return True
            folded = fold(core)
            return folded not in self.taken and folded not in self.reserved

        chosen = next((c for c in cores if free(c)), None)
        if chosen is None and own is not None and _numbered_form(cores[0], prefix, suffix, own):
            return str(current), str(current)[len(prefix):len(str(current)) - len(suffix)]
        if chosen is None:
            base = fold(cores[0])
            n = self.last.get(base, 1)
            self.look_numbered(cores[0])
            while chosen is None:
                n += 1
                if free(numbered(cores[0], n)):
                    chosen = numbered(cores[0], n)
            self.last[base] = n
        self.taken.add(fold(chosen))
        return prefix + chosen + suffix, chosen


def _stripped(text: pl.Expr, affixes: list[str], start: bool) -> pl.Expr:
    """`core_of`'s stripping as an expression: the first (longest) affix that leaves a text."""
    chain: pl.Expr | None = None
    for affix in affixes:
        size = len(affix)
        found = (text.str.starts_with(affix) if start else text.str.ends_with(affix)) \
            & (text.str.len_chars() > size)
        cut = text.str.slice(size) if start else text.str.slice(0, text.str.len_chars() - size)
        chain = pl.when(found).then(cut) if chain is None else chain.when(found).then(cut)  # type: ignore[attr-defined]
    return text if chain is None else chain.otherwise(text)  # type: ignore[attr-defined]
