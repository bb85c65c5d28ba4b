"""Evaluate a scope, not a population (issue 14): when a run evaluates only some sources — the
changes of an incremental run, the transitions a date evaluation finds due — the graph holds
those sources, the resources their bindings reach, and the targets they own (with a person's
other records); what the rules must know of the whole population (which keys exist, the
values a unique rule has issued, the targets a correlation or a query may find) is read as
columns, without a Python object per resource. The orders are those of the whole graph with
the same `only` (tests/policy/test_scope.py)."""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Set
from typing import Any, TypeVar

import sqlalchemy as sa

from headcount.config.model import Project
from headcount.config.resource_type import CorrelationRule, ResourceType, ScalarRule
from headcount.policy.correlation import correlation_index, normalise
from headcount.policy.graph import Graph, Node, decoded
from headcount.policy.population import (
    expression_values,
    fetch_rows,
    keys_of,
)
from headcount.policy.records import RecordIndex
from headcount.repository.bulk import create_temp_table, drop_temp_table, insert_rows
from headcount.repository.database import is_sqlite

_T = TypeVar("_T")
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_SUFFIX = re.compile(r"-\d{8}(?:-\d+)?$")


def _alive(ref: weakref.ref[_T], what: str) -> _T:
    found = ref()
    if found is None:
        raise ReferenceError(f"{what} is gone")
    return found


def depth(resource_types: Iterable[ResourceType]) -> int:
    """How many links a binding of these resource types follows at most: the graph loads that
    far around the scope. Read from every text of the rules, so an expression's dotted names
    count too (more than needed is only slower)."""
    deepest = 1
    for rt in resource_types:
        for found in _DOTTED.findall(rt.model_dump_json()):
            deepest = max(deepest, found.count("."))
    return deepest


class Loader:
    """Reads resources into a scoped graph, by ids or keys, with their outgoing links."""

    def __init__(self, conn: sa.Connection, graph: Graph, types: Iterable[str]) -> None:
        self.conn = conn
        # A weak reference: the graph holds its loader (`graph.loader`), and a cycle would keep
        # a finished run's graph (every node it read) alive until the cyclic collector found it,
        # rather than freed as the run returns.
        self._graph = weakref.ref(graph)
        self.types = set(types)

    @property
    def graph(self) -> Graph:
        return _alive(self._graph, "the graph of this loader")

    def _staged(self, name: str, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]
                ) -> None:
        create_temp_table(self.conn, name, columns)
        insert_rows(self.conn, name, [c for c, _ in columns], rows)

    def ids_of(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        self._staged("hc_scope_keys", [("et", "TEXT"), ("k", "TEXT")], wanted)
        rows = fetch_rows(self.conn, "SELECT r.entity_type, r.key, r.id FROM hc_scope_keys t JOIN "
                                     "resources r ON r.entity_type = t.et AND r.key = t.k")
        drop_temp_table(self.conn, "hc_scope_keys")
        return {(et, k): rid for et, k, rid in rows}

    def load_ids(self, ids: Iterable[int]) -> set[int]:
        """Loads the resources of these ids not loaded yet (of the graph's entity types) and
        their links; the ids it loaded."""
        wanted = sorted(set(ids) - self.graph.nodes.keys())
        if not wanted:
            return set()
        self._staged("hc_scope_ids", [("i", "BIGINT")], [(i,) for i in wanted])
        rows = fetch_rows(self.conn, "SELECT r.id, r.entity_type, r.key, r.data "
                                     "FROM hc_scope_ids t JOIN resources r ON r.id = t.i")
        graph = self.graph
        loaded = set(graph.add_rows([r for r in rows if r[1] in self.types]))
        if loaded:
            for source, nav, tkey, tid in fetch_rows(
                    self.conn, "SELECT l.source_id, l.navigation, l.target_key, l.target_id "
                               "FROM hc_scope_ids t JOIN links l ON l.source_id = t.i"):
                if source in loaded:
                    graph.add_link(source, nav.partition(".")[2], tkey, tid)
        drop_temp_table(self.conn, "hc_scope_ids")
        return loaded

    def load_keys(self, keys: Iterable[tuple[str, str]]) -> set[int]:
        return self.load_ids(self.ids_of(k for k in keys if k not in self.graph.by_key).values())

    def load_all(self, entity_type: str) -> None:
        """Every resource of a type: what a rule this module cannot read as a column needs."""
        ids = [i for (i,) in fetch_rows(self.conn, "SELECT id FROM resources WHERE entity_type = ?",
                                        [entity_type])]
        self.close_over_links(self.load_ids(ids), self.graph.steps)

    def linking_to(self, ids: Iterable[int]) -> set[int]:
        """The resources (of the graph's types) with a link to one of these."""
        wanted = sorted(set(ids))
        if not wanted:
            return set()
        self._staged("hc_scope_to", [("i", "BIGINT")], [(i,) for i in wanted])
        rows = fetch_rows(self.conn, "SELECT l.source_id, l.navigation FROM hc_scope_to t "
                                     "JOIN links l ON l.target_id = t.i")
        drop_temp_table(self.conn, "hc_scope_to")
        return {source for source, nav in rows if nav.partition(".")[0] in self.types}

    def linking_to_keys(self, keys: list[tuple[str, str]]) -> set[int]:
        """The resources (of the graph's types) with a pending link to one of these keys."""
        if not keys:
            return set()
        self._staged("hc_scope_gone", [("et", "TEXT"), ("k", "TEXT")], sorted(set(keys)))
        rows = fetch_rows(self.conn, "SELECT l.source_id, l.navigation FROM hc_scope_gone t "
                                     "JOIN links l ON l.target_type = t.et AND l.target_key = t.k "
                                     "WHERE l.target_id IS NULL")
        drop_temp_table(self.conn, "hc_scope_gone")
        return {source for source, nav in rows if nav.partition(".")[0] in self.types}

    def close_over_links(self, start: Iterable[int], steps: int) -> None:
        """Loads what the links of `start` reach, `steps` links far."""
        frontier = set(start)
        for _ in range(steps):
            frontier = self.load_ids({t for node_id in frontier
                                      for t in self.graph.reached(node_id)})
            if not frontier:
                return


def load_scope(conn: sa.Connection, project: Project, chosen: list[ResourceType],
               types: list[str], only: Mapping[str, Set[str]],
               due: Mapping[str, Set[str]] | None = None
               ) -> tuple[Graph, dict[str, set[str]]]:
    """The scoped graph for the sources of `only` and `due`, and the scope itself: those
    sources and the sources that reach one of `only` through their bindings (a person whose
    site's time zone changed; as many links far as the rules' bindings go). A source due for
    a dated transition changed no value another reads: its neighbours are not evaluated."""
    graph = Graph(scoped=True, conn=conn)
    loader = Loader(conn, graph, types)
    steps = depth(chosen)
    seeds = loader.ids_of((et, k) for et, keys in only.items() if et in loader.types
                          for k in keys)
    scope = {et: set(keys) for et, keys in only.items()}
    frontier = set(seeds.values())
    known = set(frontier)
    sources = {rt.source for rt in chosen}
    # A resource the run deleted is gone with its id: what linked to it holds its key, pending.
    gone = [(et, k) for et, keys in only.items() if et in loader.types for k in keys
            if (et, k) not in seeds]
    for _ in range(steps):
        frontier = (loader.linking_to(frontier) | loader.linking_to_keys(gone)) - known
        gone = []
        known |= frontier
        if not frontier:
            break
    for et, keys in (due or {}).items():
        scope.setdefault(et, set()).update(keys)
    known |= set(loader.ids_of((et, k) for et, keys in (due or {}).items()
                               if et in loader.types for k in keys).values())
    loader.load_ids(known)
    for node_id in known:
        node = graph.nodes.get(node_id)
        if node is not None and node.entity_type in sources:
            scope.setdefault(node.entity_type, set()).add(node.key)
    loader.close_over_links(list(graph.nodes), steps)
    graph.loader = loader
    graph.steps = steps
    return graph, scope


def owned_in_scope(conn: sa.Connection, resource_types: Iterable[str],
                   scope: Mapping[str, Set[str]], sources: Mapping[str, str]
                   ) -> dict[str, dict[str, str]]:
    """resource type → source key → target key, for the sources in scope."""
    rows = [(rt, k) for rt in resource_types for k in scope.get(sources[rt], ())]
    if not rows:
        return {}
    create_temp_table(conn, "hc_scope_own", [("rt", "TEXT"), ("sk", "TEXT")])
    insert_rows(conn, "hc_scope_own", ["rt", "sk"], rows)
    found = fetch_rows(conn, "SELECT o.resource_type, o.source_key, o.target_key "
                             "FROM hc_scope_own t JOIN ownership o "
                             "ON o.resource_type = t.rt AND o.source_key = t.sk")
    drop_temp_table(conn, "hc_scope_own")
    out: dict[str, dict[str, str]] = {}
    for rt, source, target in found:
        out.setdefault(rt, {})[source] = target
    return out


def owners_of(conn: sa.Connection, resource_type: str, targets: Iterable[str]
              ) -> dict[str, str]:
    """source key → target key for the owners of these targets."""
    wanted = sorted(set(targets))
    if not wanted:
        return {}
    create_temp_table(conn, "hc_scope_owner", [("tk", "TEXT")])
    insert_rows(conn, "hc_scope_owner", ["tk"], [(k,) for k in wanted])
    found = fetch_rows(conn, "SELECT o.source_key, o.target_key FROM hc_scope_owner t "
                             "JOIN ownership o ON o.resource_type = ? AND o.target_key = t.tk",
                       [resource_type])
    drop_temp_table(conn, "hc_scope_owner")
    return {s: t for s, t in found}


def free_targets(conn: sa.Connection, rt: ResourceType, target_type: str, probing: list[str]
                 ) -> set[str]:
    """Keys of the targets a correlation may give to one of `probing`: those no source owns,
    those whose owner is gone from the repository, and those a probing source owns (a
    superset of what `correlate` finds free: it checks again)."""
    create_temp_table(conn, "hc_scope_probe", [("sk", "TEXT")])
    insert_rows(conn, "hc_scope_probe", ["sk"], [(k,) for k in sorted(set(probing))])
    found = fetch_rows(
        conn, "SELECT r.key FROM resources r WHERE r.entity_type = ? AND NOT EXISTS (SELECT 1 "
              "FROM ownership o WHERE o.resource_type = ? AND o.target_key = r.key) "
              "UNION SELECT o.target_key FROM ownership o WHERE o.resource_type = ? AND "
              "(o.source_key IN (SELECT sk FROM hc_scope_probe) OR NOT EXISTS (SELECT 1 FROM "
              "resources s WHERE s.entity_type = ? AND s.key = o.source_key))",
        [target_type, rt.identifier, rt.identifier, rt.source])
    drop_temp_table(conn, "hc_scope_probe")
    return {k for (k,) in found}


def data_of(conn: sa.Connection, entity_type: str, keys: Iterable[str]) -> dict[str, Any]:
    """key → the decoded data of these resources of a type."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    create_temp_table(conn, "hc_scope_data", [("k", "TEXT")])
    insert_rows(conn, "hc_scope_data", ["k"], [(k,) for k in wanted])
    rows = fetch_rows(conn, "SELECT r.key, r.data FROM hc_scope_data t JOIN resources r "
                            "ON r.entity_type = ? AND r.key = t.k", [entity_type])
    drop_temp_table(conn, "hc_scope_data")
    return dict(zip((k for k, _ in rows), decoded([d for _, d in rows]), strict=True))


def family_keys(conn: sa.Connection, entity_type: str, keys: Iterable[str]) -> set[str]:
    """Keys of this type that may be records of the same people as `keys` (`E8` and
    `E8-20261215`): a key, the key without its dated suffix, and every key that starts with
    either and a dash. RecordIndex then decides which are."""
    bases = set()
    for key in keys:
        bases.add(key)
        bases.add(_SUFFIX.sub("", key))
    if not bases:
        return set()
    create_temp_table(conn, "hc_scope_fam", [("b", "TEXT")])
    insert_rows(conn, "hc_scope_fam", ["b"], [(b,) for b in sorted(bases)])
    # A range on the unique (entity_type, key) index: `E8-` ≤ key < `E8.` ('.' follows '-'),
    # in byte order. A PostgreSQL database of another collation may order '-' otherwise (or
    # ignore it): there the range is compared in "C", which its index cannot serve.
    key, lo, hi = "r.key", "t.b || '-'", "t.b || '.'"
    if not is_sqlite(conn) and not _bytewise(conn):
        key, lo, hi = (f'({x}) COLLATE "C"' for x in (key, lo, hi))
    found = fetch_rows(conn, "SELECT r.key FROM hc_scope_fam t JOIN resources r ON "
                             "r.entity_type = ? AND r.key = t.b", [entity_type])
    found += fetch_rows(conn, f"SELECT r.key FROM hc_scope_fam t JOIN resources r ON "
                              f"r.entity_type = ? AND {key} > {lo} AND {key} < {hi}", [entity_type])
    drop_temp_table(conn, "hc_scope_fam")
    return {k for (k,) in found}


def _bytewise(conn: sa.Connection) -> bool:
    """Whether the PostgreSQL database compares text byte by byte (collation C or POSIX)."""
    # (The provider column is PostgreSQL 15's: an ICU database has a collation besides.)
    collate, provider = conn.exec_driver_sql(
        "SELECT datcollate, to_jsonb(d) ->> 'datlocprovider' FROM pg_database d "
        "WHERE datname = current_database()").one()
    return str(collate) in ("C", "POSIX") and provider in (None, "c")


class Keys(Set[str]):
    """Whether a key exists among every resource of a type, read at the first question."""

    def __init__(self, conn: sa.Connection, entity_type: str) -> None:
        self.conn, self.entity_type = conn, entity_type
        self._keys: set[str] | None = None
        self._asked: dict[object, bool] = {}

    def _all(self) -> set[str]:
        if self._keys is None:
            self._keys = keys_of(self.conn, self.entity_type)
        return self._keys

    def __contains__(self, key: object) -> bool:
        # A few questions are asked one by one; many read every key once.
        if self._keys is not None or len(self._asked) > 2_000:
            return key in self._all()
        if key not in self._asked:
            self._asked[key] = bool(fetch_rows(
                self.conn, "SELECT 1 FROM resources WHERE entity_type = ? AND key = ?",
                [self.entity_type, key]))
        return self._asked[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


class Targets(MutableMapping[str, Node]):
    """The targets of a resource type as a scoped evaluation sees them: the loaded ones by key,
    any other read when asked for; `in` answers for every target of the type."""

    def __init__(self, graph: Graph, entity_type: str, keys: Keys) -> None:
        self.graph, self.entity_type, self.known = graph, entity_type, keys
        self.loaded: dict[str, Node] = {n.key: n for n in graph.of_type(entity_type)}
        self._seen = graph.held(entity_type)

    def fetch(self, keys: Iterable[str]) -> None:
        wanted = [k for k in keys if k not in self.loaded]
        if not wanted or self.graph.loader is None:
            return
        new = self.graph.loader.load_keys((self.entity_type, k) for k in wanted)
        self.graph.loader.close_over_links(new, self.graph.steps)
        # Every target of the type the graph holds now: those just read, and those a link had
        # already brought in (an organization's parent) — else a free one is no candidate.
        for node in self.graph.added_since(self.entity_type, self._seen):
            self.loaded.setdefault(node.key, node)
        self._seen = self.graph.held(self.entity_type)

    def __getitem__(self, key: str) -> Node:
        if key not in self.loaded:
            self.fetch([key])
        return self.loaded[key]

    def __contains__(self, key: object) -> bool:
        return key in self.loaded or key in self.known

    def __setitem__(self, key: str, node: Node) -> None:
        self.loaded[key] = node

    def __delitem__(self, key: str) -> None:
        del self.loaded[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.loaded)

    def __len__(self) -> int:
        return len(self.loaded)


class Lazy(Mapping[str, Any]):
    """Values made at their first use: a unique rule's taken values are read only by a run
    that issues one."""

    def __init__(self, factories: Mapping[str, Callable[[], Any]]) -> None:
        self.factories = factories
        self.made: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key not in self.made:
            self.made[key] = self.factories[key]()
        return self.made[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.factories)

    def __len__(self) -> int:
        return len(self.factories)


class Setup:
    """What the evaluation of one resource type reads, for a scoped graph."""

    def __init__(self, project: Project, graph: Graph, rt: ResourceType, target_type: str,
                 owned: Mapping[str, str], only: Set[str], scheduled: Mapping[str, Any],
                 former: Mapping[str, str], last_day: Any, records: bool) -> None:
        assert graph.conn is not None
        self.conn, self.graph, self.project = graph.conn, graph, project
        self.target_type = target_type
        self.keys = Keys(self.conn, target_type)
        self.targets = Targets(graph, target_type, self.keys)
        self.live: Set[str] = Keys(self.conn, rt.source)
        self.dated = records
        self.rt = rt
        wanted = {owned[k] for k in only if k in owned}
        wanted |= {t for t, s in former.items() if s in only}
        wanted |= {t for t, day in scheduled.items() if day <= last_day}
        self.owned = dict(owned)
        self._records: _Records | None = None
        self._owners_read = False  # of the targets loaded before the first load: none yet
        self.load(wanted)

    def load(self, keys: Iterable[str]) -> None:
        """Loads these targets, a person's other records with them, and their owners."""
        wanted = set(keys)
        if self.dated:
            wanted |= family_keys(self.conn, self.target_type, wanted)
        before = set(self.targets.loaded) if self._owners_read else set()
        self._owners_read = True
        self.targets.fetch(wanted)
        for source, target in owners_of(self.conn, self.rt.identifier,
                                        set(self.targets.loaded) - before).items():
            self.owned.setdefault(source, target)


    def adopt(self, source: str) -> dict[str, str]:
        """Reads what a source outside the scope owns (the person a re-key replaces), with its
        records; source → target."""
        found = owned_in_scope(self.conn, [self.rt.identifier], {self.rt.source: {source}},
                               {self.rt.identifier: self.rt.source}).get(self.rt.identifier, {})
        self.owned.update(found)
        self.load(found.values())
        if self._records is not None:
            self._records.reindex()
        return found

    def records(self) -> RecordIndex:
        """A person's records among the loaded targets; a record asked for that is not loaded
        is read with its person's others."""
        self._records = _Records(self)
        return self._records

    def load_sources(self, entity_type: str) -> None:
        assert self.graph.loader is not None
        self.graph.loader.load_all(entity_type)

    def correlation_indexes(self, rules: list[CorrelationRule], probing: list[Node]
                            ) -> list[tuple[CorrelationRule, dict[tuple[str, ...], list[str]]]]:
        """Per rule, the targets whose values equal those of a source to correlate (what
        `correlation_index` gives for them over every target); the candidates loaded. Only a
        target free for one of the sources can be found (`correlate` keeps those): one no live
        source owns, or that a probing source owns: those kept for their retention, and a
        person's earlier records (as many as the history holds). Of those, only the ones whose
        values equal a source's by some rule are loaded."""
        if not probing or not rules:
            return [(rule, {}) for rule in rules]
        free = free_targets(self.conn, self.rt, self.target_type, [n.key for n in probing])
        self.load(self._matching(rules, probing, free))
        candidates = list(self.targets.loaded.values())
        return [(rule, correlation_index(self.graph, candidates, rule)) for rule in rules]

    def _matching(self, rules: list[CorrelationRule], probing: list[Node], free: set[str]
                  ) -> set[str]:
        """The free targets whose rule values equal a probing source's, read from their data
        (not loaded with their links and records); all of them when a rule reads a link."""
        found = self.project.entity_type(self.target_type)
        bindings = {b for rule in rules for b in rule.target}
        if found is None or any((p := found[1].find_property(b)) is None or p.target
                                for b in bindings):
            return free
        out = set()
        values = data_of(self.conn, self.target_type, free)
        for rule in rules:
            probes = {tuple(normalise(self.graph.value(n, b), rule.normalise)
                            for b in rule.source) for n in probing}
            for key, data in values.items():
                # As Graph.value reads a property the resource holds (None when it lacks it).
                held = tuple(normalise(data.get(b), rule.normalise) for b in rule.target)
                if all(held) and held in probes:
                    out.add(key)
        return out

    def affixes(self, rule: ScalarRule, parts: tuple[Any, Any], today: Any
                ) -> list[tuple[str, str]] | None:
        """The (prefix, suffix) a unique rule gives over every source, once per distinct
        input; None when an input is not read as a column."""
        prefix, suffix = parts

        def run(expression: Any, values: dict[str, Any]) -> str:
            if expression is None:
                return ""
            value = expression.evaluate({n: values[n] for n in expression.names}, today=today)
            return "" if value is None else (str(value) or "")

        names = sorted({*(prefix.names if prefix else ()), *(suffix.names if suffix else ())})
        return expression_values(self.conn, self.project, self.rt.source, names,
                                 lambda values: (run(prefix, values), run(suffix, values)))


class _Records(RecordIndex):
    def __init__(self, setup: Setup) -> None:
        # The setup keeps its record index (Setup._records): a weak reference back, as the
        # loader's to its graph.
        self._setup = weakref.ref(setup)
        super().__init__(setup.targets.loaded)
        self._indexed = len(self.targets)

    @property
    def setup(self) -> Setup:
        return _alive(self._setup, "the set-up of this record index")

    def reindex(self) -> None:
        if len(self.targets) == self._indexed:
            return  # nothing new was read
        self._indexed = len(self.targets)
        self.by_base = {}
        for key in self.targets:
            self.by_base.setdefault(self.base(key), []).append(key)

    def siblings(self, key: str) -> list[str]:
        if key not in self.targets and key in self.setup.targets:
            self.setup.load([key])
            self.reindex()
        return super().siblings(key)
