"""The "Linked from" blocks of the resource page: per navigation of another entity type that
points here, its resources by name, filtered on names and keys (accents and case ignored), a
page at a time with their total."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from headcount.config.model import Project
from headcount.repository.reverse import Source

PAGE_SIZE = 20


@dataclass(frozen=True)
class Named:
    """A resource as pages show it: its name, with its key beside."""

    entity_type: str
    key: str
    name: str


@dataclass(frozen=True)
class LinkedFrom:
    navigation: str  # the navigation of the sources, e.g. `HR_Person.Manager`
    label: str  # its flip side, as this resource calls them: `Subordinates`
    source_label: str  # "Person · Manager"
    total: int
    matching: int
    q: str
    page: int
    rows: list[Named]

    @property
    def pages(self) -> int:
        return max(1, -(-self.matching // PAGE_SIZE))

    @property
    def filterable(self) -> bool:
        """More than a page, or filtered already: worth a filter box."""
        return self.total > PAGE_SIZE or bool(self.q)


def folded(text: str) -> str:
    """`text` for a comparison that ignores case and accents: "José" matches "jose"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def matches(q: str, named: Named) -> bool:
    """Every word of `q` is in the name or the key, in any order."""
    text = folded(f"{named.name} {named.key}")
    return all(word in text for word in folded(q).split())


def linked_from(project: Project, reverse: dict[str, list[Source]],
                names: dict[int, tuple[str, str, str]], navigation: str | None = None,
                q: str = "", page: int = 1) -> list[LinkedFrom]:
    """One block per navigation of `reverse`, sorted by name; `q` and `page` apply to the block
    of `navigation` only, the others show their first page."""
    blocks = []
    for nav, sources in sorted(reverse.items()):
        everyone = sorted((Named(stype, skey, names.get(sid, (stype, skey, skey))[2])
                           for stype, skey, sid in sources),
                          key=lambda n: (folded(n.name), n.key))
        wanted, at = (q.strip(), page) if nav == navigation else ("", 1)
        shown = [n for n in everyone if matches(wanted, n)] if wanted else everyone
        at = min(max(at, 1), max(1, -(-len(shown) // PAGE_SIZE)))
        label, source_label = _labels(project, nav)
        blocks.append(LinkedFrom(nav, label, source_label, len(everyone), len(shown), wanted, at,
                                 shown[(at - 1) * PAGE_SIZE:at * PAGE_SIZE]))
    return blocks


def _labels(project: Project, navigation: str) -> tuple[str, str]:
    source_type, _, prop = navigation.partition(".")
    found = project.entity_type(source_type)
    if found is None:
        return navigation, navigation
    et = found[1]
    flip = et.find_property(prop)
    label = flip.flip if flip and flip.flip else navigation
    prop_label = (flip.display_name or flip.identifier) if flip else prop
    return label, f"{et.display_name or et.identifier} · {prop_label}"
