"""Evaluate resource types (SPEC §6.1, §6.3): for each source resource, which target it has
(ownership, then correlation), what the target's values and links should be (scalar and query
rules), and the difference with what the target holds — the provisioning orders."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import repeat
from typing import Any

from headcount.config.model import EntityType, Project
from headcount.config.resource_type import ResourceType, ScalarRule
from headcount.errors import HeadcountError
from headcount.policy.correlation import (
    CorrelationCase,
    correlate,
    correlation_index,
)
from headcount.policy.dated import (
    Decision,
    cancelled_record,
    dated_values,
    end_before_successor,
    latest_of,
    opens_record,
)
from headcount.policy.graph import Graph, Node
from headcount.policy.orders import Order
from headcount.policy.population import (
    held_folded,
    held_numbered,
    held_values,
    matches,
)
from headcount.policy.records import RecordIndex, record_key
from headcount.policy.retention import purged, removed
from headcount.policy.rules import Scalars, passes, same
from headcount.policy.scope import Lazy, Setup
from headcount.policy.unique import IssuedValues, UniqueValues
from headcount.policy.validity import as_date, day_before, local_today
from headcount.repository import query_indexes


class PolicyError(HeadcountError):
    """A resource type cannot be evaluated as configured."""


@dataclass
class Planned:
    """Targets the evaluation has decided so far: later resource types see them (a manager
    created in this run is found by the next rule in this run)."""

    now: datetime
    decided_new: Set[tuple[str, str]]
    # resource type → target key → the day a target kept for its retention is deleted
    scheduled: Mapping[str, Mapping[str, date]] = field(default_factory=dict)
    # entity type → the keys an incremental run changed; None: every source is evaluated
    only: Mapping[str, Set[str]] | None = None
    # (resource type, property) → the cores of the unique values ever issued
    used: Mapping[tuple[str, str], Set[str]] = field(default_factory=dict)
    # (entity type, key) → the properties people hold by hand
    held: Mapping[tuple[str, str], Set[str]] = field(default_factory=dict)
    # resource type → target key → the source that owned it until it left (a target kept for
    # its retention has no owner any more)
    former: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    values: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    cases: list[CorrelationCase] = field(default_factory=list)
    # (source entity type, source key) → the source key a re-key replaced, for the resource
    # types after the one that correlated (a person's new records)
    rekeyed: dict[tuple[str, str], str] = field(default_factory=dict)
    # Read the sources' bindings into columns and compute the rules set-wise (policy/setwise);
    # False: per row, as the reference the property test compares it with.
    setwise: bool = True

    @property
    def today(self) -> date:
        return self.now.astimezone(UTC).date()


def evaluate(project: Project, graph: Graph, ownership: Mapping[str, Mapping[str, str]],
             resource_types: list[ResourceType], now: datetime | None = None,
             decided_new: Set[tuple[str, str]] = frozenset(),
             scheduled: Mapping[str, Mapping[str, date]] | None = None,
             only: Mapping[str, Set[str]] | None = None,
             used: Mapping[tuple[str, str], Set[str]] | None = None,
             held: Mapping[tuple[str, str], Set[str]] | None = None,
             former: Mapping[str, Mapping[str, str]] | None = None,
             setwise: bool = True) -> tuple[list[Order], list[CorrelationCase]]:
    """The orders of the resource types at the instant `now`; `decided_new` holds the
    (resource type, source key) that a person decided get a new target. `setwise` False
    computes every rule source by source (the same orders, slower)."""
    now = now or datetime.now(UTC)
    planned = Planned(now=now, decided_new=decided_new, scheduled=scheduled or {}, only=only,
                      used=used if used is not None else {}, held=held or {}, former=former or {},
                      setwise=setwise)
    orders: list[Order] = []
    for rt in resource_types:
        orders += _evaluate_one(project, graph, ownership.get(rt.identifier, {}), rt, planned)
    return orders, planned.cases


def _entity_type(project: Project, name: str) -> EntityType:
    found = project.entity_type(name)
    if found is None:
        raise PolicyError(f"unknown entity type `{name}`")
    return found[1]


def _key_property(target: EntityType, rt: ResourceType) -> str:
    key = target.key_computed_by(rt)
    if key is not None:
        return key
    raise PolicyError(f"resource type `{rt.identifier}` computes no key property of "
                      f"`{target.identifier}` ({', '.join(target.keys)}): add a scalar rule")


def _passing_rows(graph: Graph, rt: ResourceType, scalars: Scalars, planned: Planned
                  ) -> Callable[[Node], bool] | None:
    """Set-wise: read the sources to evaluate into the scalars' frame, and the type rules'
    verdict per source; None when evaluating per row."""
    if not planned.setwise:
        return None
    only = planned.only.get(rt.source, frozenset()) if planned.only is not None else None
    nodes = sorted((n for n in graph.of_type(rt.source) if only is None or n.key in only),
                   key=lambda n: n.key)
    frame = scalars.read(graph, rt, nodes)
    kept = frame.passing(rt)

    def passing(node: Node) -> bool:
        i = frame.row.get(node.id)
        return passes(graph, node, rt) if i is None else kept[i]
    return passing


def _evaluate_one(project: Project, graph: Graph, owned: Mapping[str, str], rt: ResourceType,
                  planned: Planned) -> list[Order]:
    target_et = _entity_type(project, rt.target)
    key_prop = _key_property(target_et, rt)
    scalars = Scalars(rt.scalars, project.lookup_tables())
    passing = _passing_rows(graph, rt, scalars, planned)
    validity = rt.validity
    ordered = sorted(rt.correlation, key=lambda r: -r.confidence)
    former = planned.former.get(rt.identifier, {})
    # In an incremental run only the sources the run changed are evaluated (SPEC §6.3).
    only = planned.only.get(rt.source, frozenset()) if planned.only is not None else None
    scheduled_here = planned.scheduled.get(rt.identifier, {})
    dated = validity is not None and validity.effective is not None
    targets: MutableMapping[str, Node]
    live: Set[str]
    if graph.scoped and only is not None:
        setup = Setup(project, graph, rt, target_et.identifier, owned, only, scheduled_here, former,
                      planned.today + timedelta(days=1), dated)
        probing = [n for n in graph.of_type(rt.source) if n.key in only
                   and setup.owned.get(n.key) not in setup.targets and passes(graph, n, rt)]
        indexes = setup.correlation_indexes(ordered, probing)
        targets, owned, live = setup.targets, setup.owned, setup.live
        records = setup.records() if dated else None
    else:
        setup = None
        targets = {n.key: n for n in graph.of_type(target_et.identifier)}
        indexes = [(r, correlation_index(graph, list(targets.values()), r)) for r in ordered]
        # A target whose owner is no longer a source (gone from the file, in this run or
        # before) may be found again by another source: a person back under a new key.
        live = {n.key for n in graph.of_type(rt.source)}
        records = RecordIndex(targets) if dated else None
    owners = {t: s for s, t in owned.items()}
    # Values of `unique` rules held by a target or ever issued (compared ignoring case), made
    # when a source first needs one.
    uniques = [r for r in rt.scalars if r.unique]
    affixes: Mapping[str, list[tuple[str, str]]] = Lazy({
        r.target: _affixes(graph, rt, r, scalars, planned, setup) for r in uniques})
    taken: Mapping[str, UniqueValues] = Lazy({
        r.target: _taken_values(rt, r, targets, planned, setup, affixes, scalars)
        for r in uniques})
    # Only the prefixes and suffixes, to tell a deleted target's core (a date evaluation that
    # purges issues nothing: it does not read every login).
    stripping: Mapping[str, UniqueValues] = Lazy({
        r.target: _stripping(affixes, r.target) for r in uniques})
    on_create = [r.target for r in rt.scalars if r.when == "on_create"]
    # First pass: each source's target and values. The links come second, once every target of
    # this resource type is planned: an organization's parent may be decided after it.
    decided: list[Decision] = []
    # No target to correlate with (the first run): no source can find one.
    correlating = any(index for _, index in indexes)
    days: dict[str, date] = {}  # the day where the source is, by its time zone
    for node in sorted(graph.of_type(rt.source), key=lambda n: n.key):
        if only is not None and node.key not in only:
            continue
        if not (passing(node) if passing is not None else passes(graph, node, rt)):
            continue
        target_key = owned.get(node.key)

        def free(key: str, source: str = node.key) -> bool:
            return owners.get(key) in (None, source) or owners[key] not in live

        if target_key not in targets and correlating:
            target_key, case = correlate(graph, node, rt, indexes, targets, free,
                                          (rt.identifier, node.key) in planned.decided_new)
            if case is not None:
                planned.cases.append(case)
                continue
        elif target_key not in targets:
            target_key = None
        reclaimed: list[str] = []
        if records is not None and target_key is not None and owned.get(node.key) != target_key:
            # A person found again (back within the retention, a rehire): their latest record,
            # and every record of theirs leaves the deletion schedule.
            latest = records.latest(target_key, validity.start_property if validity else None)
            if free(latest):
                target_key = latest
            reclaimed = [k for k in records.siblings(target_key) if k in scheduled_here]
        replaces = planned.rekeyed.get((rt.source, node.key))
        carried: dict[str, Any] = {}
        if target_key is not None and owned.get(node.key) != target_key:
            previous = owners.get(target_key) or former.get(target_key)
            if previous is not None and previous != node.key:
                # A re-key: the target was another (gone) source's; the resource types after
                # this one know that person's new records by it.
                replaces = previous
                planned.rekeyed[(rt.source, node.key)] = previous
        elif target_key is None and replaces is not None:
            if setup is not None:  # the source a re-key replaces is outside the scope
                owners.update((t, s) for s, t in setup.adopt(replaces).items())
            carried = latest_of(replaces, owned, former, targets, records,
                                 validity.start_property if validity else None)
        if target_key is not None:
            owners[target_key] = node.key  # claimed: no other source of this run takes it
        decision = Decision(node, target_key, {}, planned.today, reclaimed=reclaimed,
                             replaces=replaces)
        if validity is not None:
            zone = scalars.value(graph, node, validity.timezone) if validity.timezone else None
            place = str(zone) if zone else ""
            if place not in days:
                days[place] = local_today(planned.now, zone, validity.default_timezone)
            decision.today = days[place]
            decision.start = as_date(scalars.value(graph, node, validity.start)) \
                if validity.start else None
            decision.end = as_date(scalars.value(graph, node, validity.end)) \
                if validity.end else None
        # A target found by correlation, linked by a person or keyed in by hand gets the
        # create-only values it lacks — a login — but keeps those it has.
        current = targets[target_key].values if target_key is not None else {}
        establishing = target_key is not None and owned.get(node.key) != target_key
        lacking = target_key is not None and any(current.get(p) is None for p in on_create)
        expected = scalars.compute(graph, node, decision.today,
                                   creating=target_key is None or establishing or lacking)
        # A re-keyed person's new record keeps the create-only values of their latest one
        # (their e-mail; their login, whose prefix follows the new user type).
        carried = {p: carried[p] for p in on_create if carried.get(p) is not None
                   and p in expected}
        expected |= {p: v for p, v in carried.items() if p not in taken}
        if validity is not None:
            decision.effective = as_date(scalars.value(graph, node, validity.effective)) \
                if validity.effective else None
            # A record that has not begun follows its source's first day (a pre-hire whose
            # contract start moves).
            not_begun = validity.effective is not None and validity.start_property is not None \
                and (as_date(current.get(validity.start_property)) or date.max) > decision.today
            dated_values(validity, decision, expected,
                   creating=target_key is None or establishing or not_begun)
        kept_as_is = [*on_create] if establishing or lacking else []
        # A record's first day is set when it is created and never computed again, so a record
        # found keeps its own — once it has begun: before, it follows its source (not_begun).
        # An identity's first day follows its source on every run. Kept otherwise, it would
        # change on the next run of the same file (a rehire's StartDate).
        if establishing and validity is not None and validity.start_property \
                and validity.effective and not not_begun:
            kept_as_is.append(validity.start_property)
        for prop in kept_as_is:
            if current.get(prop) is not None and prop in expected:
                del expected[prop]
        for prop in taken:
            if prop in expected:  # an on_create rule is not computed for an existing target
                unique = taken[prop]
                alternatives, prefix, suffix = scalars.unique_parts(graph, node, decision.today,
                                                                    prop)
                tried, own = [expected[prop], *alternatives], current.get(prop)
                if prop in carried:
                    bare = unique.bare(carried[prop])
                    tried, own = [bare, *tried], prefix + bare + suffix
                expected[prop], core = unique.allocate(tried, prefix, suffix, own)
                if core is not None:
                    decision.issued[prop] = core
        if target_key is None:
            new_key = expected.get(key_prop)
            if new_key is None or not rt.allow_add:
                continue

            def held(key: str) -> bool:
                return key in targets or (target_et.identifier, key) in planned.values

            if held(str(new_key)):
                # Keys are immutable: an identity re-keyed to E21 keeps the Identifier E20, so a
                # source E20 back beside E21 gets a target of its own under another key.
                new_key = expected[key_prop] = _unheld(str(new_key), held)
            # The same mapping, not a copy (nothing changes a new target's values after).
            planned.values[(target_et.identifier, str(new_key))] = expected
        else:
            planned.values[(target_et.identifier, target_key)] = {
                **targets[target_key].values, **expected}
        decision.expected = expected
        decided.append(decision)
    query_index = _query_indexes(project, graph, target_et, rt, planned)
    link_types = _link_types(project, target_et, rt)
    compare = {r.target: r.compare for r in rt.scalars}
    orders: list[Order] = []
    kept: set[str] = set()
    for d in decided:
        node, target_key, expected = d.node, d.target_key, d.expected
        expected_links = _expected_links(graph, node, rt, query_index, scalars)
        if target_key is None:
            new_key = str(expected[key_prop])
            orders.append(_added(rt, target_et.identifier, new_key, node.key, expected,
                                 expected_links, link_types))
            orders[-1].issued = d.issued
            orders[-1].replaces = d.replaces
            kept.add(new_key)
            continue
        kept.add(target_key)
        if validity is not None and records is not None:
            earlier = cancelled_record(validity, d, targets[target_key], records)
            if earlier is not None:
                # HR moved or cancelled a dated change before its day: the future record goes,
                # the record it was to replace is the person's again.
                future = targets[target_key]
                orders.append(Order(rt.identifier, "deleted", target_et.identifier, future.key,
                                    None, {k: (v, None) for k, v in future.values.items()}))
                target_key = earlier.key
                kept.add(target_key)
                if validity.start_property:
                    expected.pop(validity.start_property, None)  # it began long ago
        target = targets[target_key]
        changed = {k: (target.values.get(k), v) for k, v in expected.items()
                   if k != key_prop and not same(target.values.get(k), v, compare.get(k, "exact"))}
        changed_links = {}
        for nav, keys in expected_links.items():
            before = graph.linked_keys(target, nav)
            if before != keys:
                changed_links[nav] = (before, keys)
        movable = {k: v for k, v in changed.items()
                   if k not in planned.held.get((target.entity_type, target.key), ())}
        opens = opens_record(validity, d, target, movable, changed_links) \
            if validity is not None and validity.effective else None
        if opens is not None and validity is not None:
            # A new record from `opens`; the current one ends the day before (a future-dated
            # change) or has already ended (a rehire). Create-only values carry over: a
            # rehired person keeps their login.
            new_key = record_key(
                str(expected[key_prop]), opens,
                lambda k: k in targets or (target_et.identifier, k) in planned.values)
            values = {**{p: target.values.get(p) for p in on_create}, **expected,
                      key_prop: new_key}
            if validity.start_property:
                values[validity.start_property] = opens.isoformat()
            planned.values[(target_et.identifier, new_key)] = dict(values)
            orders.append(_added(rt, target_et.identifier, new_key, node.key, values,
                                 expected_links, link_types))
            orders[-1].replaces = d.replaces
            kept.add(new_key)
            old_end = as_date(target.values.get(validity.end_property)) \
                if validity.end_property else None
            last = day_before(opens)
            rehire = old_end is not None and d.start is not None and d.start > old_end
            if validity.end_property and not rehire and old_end != last:
                orders.append(Order(rt.identifier, "modified", target_et.identifier,
                                    target_key, None, {validity.end_property: (
                                        target.values.get(validity.end_property),
                                        last.isoformat())}))
            continue
        if changed or changed_links or owned.get(node.key) != target_key:
            order = Order(rt.identifier, "modified", target_et.identifier, target_key, node.key,
                          changed, changed_links)
            order.link_types = link_types
            order.establishes = owned.get(node.key) != target_key
            order.issued = {k: v for k, v in d.issued.items() if k in changed}
            order.replaces = d.replaces
            orders.append(order)
    back = {d.node.key: d.reclaimed for d in decided if d.reclaimed}
    for order in orders:
        if order.source_key in back:
            order.reclaimed = back[order.source_key]
    if rt.allow_remove:
        gone = removed(rt, owned, targets, kept, only, scheduled_here, records, planned.now)
        if validity is not None and validity.start_property and validity.end_property:
            end_before_successor(validity, gone, orders)
        orders += gone
    orders += purged(rt, targets, kept, owners, scheduled_here, planned.now)
    for order in orders:
        if order.kind == "deleted" and order.retain_until is None:
            # A deleted target's login and e-mail are never issued again.
            values = targets[order.target_key].values
            order.issued = {p: stripping[p].core_of(values[p]) for p in stripping
                            if values.get(p) is not None}
    return orders


def _affixes(graph: Graph, rt: ResourceType, rule: ScalarRule, scalars: Scalars,
             planned: Planned, setup: Setup | None) -> Callable[[], list[tuple[str, str]]]:
    """The (prefix, suffix) a unique rule gives over every source."""
    def made() -> list[tuple[str, str]]:
        if not (rule.prefix or rule.suffix):
            return []
        if setup is not None:
            found = setup.affixes(rule, scalars.extras[rule.target][1:], planned.today)
            if found is not None:
                return found
            setup.load_sources(rt.source)
        return [scalars.affixes(graph, n, planned.today, rule.target)
                for n in graph.of_type(rt.source)]
    return made


class _Probe:
    """A scoped run's questions on unique values, answered by the deployment's index on them
    and the table of values issued (policy.unique.Probe)."""

    def __init__(self, setup: Setup, rt: ResourceType, prop: str, used: IssuedValues) -> None:
        self.conn, self.target_type, self.prop = setup.conn, setup.target_type, prop
        self.key = (rt.identifier, prop)
        self.issued = used
        self.first = True

    def held(self, folded: Sequence[str]) -> list[Any]:
        # The values the index does not fold come with the first answer, once.
        asked = [*folded, query_indexes.UNUSUAL] if self.first else list(folded)
        self.first = False
        return held_folded(self.conn, self.target_type, self.prop, asked)

    def used(self, cores: Sequence[str]) -> Set[str]:
        return self.issued.matching(self.key, cores)

    def held_numbered(self, names: Sequence[str]) -> list[str]:
        return held_numbered(self.conn, self.target_type, self.prop, names)

    def used_numbered(self, name: str) -> Set[str]:
        return self.issued.matching_numbered(self.key, name)


def _taken_values(rt: ResourceType, rule: ScalarRule, targets: Mapping[str, Node],
                  planned: Planned, setup: Setup | None,
                  affixes: Mapping[str, list[tuple[str, str]]], scalars: Scalars
                  ) -> Callable[[], UniqueValues]:
    def made() -> UniqueValues:
        held: Iterable[Any]
        texts = None
        pairs = affixes[rule.target]
        if setup is not None and isinstance(planned.used, IssuedValues) and \
                query_indexes.unique_index(setup.target_type, rule.target) in \
                query_indexes.existing(setup.conn):
            probed = UniqueValues((), (), rule.reserved, (p for p, _ in pairs),
                                  (x for _, x in pairs),
                                  probe=_Probe(setup, rt, rule.target, planned.used))
            # What the sources in scope may ask for, asked at once rather than one by one.
            probed.look(scalars.candidates(rule.target))
            return probed
        if setup is not None:
            texts, held = held_values(setup.conn, setup.target_type, rule.target)
        else:
            held = [n.values.get(rule.target) for n in targets.values()]
        return UniqueValues(held, planned.used.get((rt.identifier, rule.target), ()),
                            rule.reserved, (p for p, _ in pairs), (x for _, x in pairs),
                            held_texts=texts, used_folded=True)
    return made


def _stripping(affixes: Mapping[str, list[tuple[str, str]]], prop: str
               ) -> Callable[[], UniqueValues]:
    def made() -> UniqueValues:
        pairs = affixes[prop]
        return UniqueValues((), (), (), (p for p, _ in pairs), (x for _, x in pairs))
    return made


def _unheld(key: str, held: Callable[[str], bool]) -> str:
    """`E20-2`, `E20-3`…: the first such key no target holds."""
    n = 2
    while held(f"{key}-{n}"):
        n += 1
    return f"{key}-{n}"


def _added(rt: ResourceType, target_type: str, key: str, source_key: str,
           values: dict[str, Any], links: dict[str, list[str]], link_types: dict[str, str]
           ) -> Order:
    order = Order(rt.identifier, "added", target_type, key, source_key,
                  dict(zip(values, zip(repeat(None), values.values(), strict=False),
                           strict=True)),
                  {n: ([], keys) for n, keys in links.items() if keys})
    order.link_types = link_types
    return order


def _link_types(project: Project, target_et: EntityType, rt: ResourceType) -> dict[str, str]:
    out = {}
    for query in rt.queries:
        prop = target_et.find_property(query.target)
        if prop is not None and prop.target:
            out[query.target] = _entity_type(project, prop.target).identifier
    return out


def _query_indexes(project: Project, graph: Graph, target_et: EntityType, rt: ResourceType,
                   planned: Planned) -> dict[str, dict[str, list[str]]]:
    """Per query rule: match value → keys of the navigation's entity type, existing or planned."""
    out: dict[str, dict[str, list[str]]] = {}
    # linked entity type → (the query's index, the property it matches)
    matching: dict[str, list[tuple[dict[str, list[str]], str]]] = {}
    linked_of = {q.target: _entity_type(project, p.target).identifier for q in rt.queries
                 if (p := target_et.find_property(q.target)) is not None and p.target}
    # A scoped graph holds few of them: those whose value a source in scope asks for are read
    # from the table, once for the queries matching the same property (User and Manager).
    asked: dict[tuple[str, str], set[str]] = {}
    if graph.scoped:
        for query in rt.queries:
            if query.target in linked_of:
                asked.setdefault((linked_of[query.target], query.match), set()).update(
                    _asked(graph, rt, query.source, planned))
    read = {(et, match): matches(graph, project, et, match, wanted)
            for (et, match), wanted in asked.items()}
    for query in rt.queries:
        if query.target not in linked_of:
            continue
        linked = linked_of[query.target]
        index: dict[str, list[str]] = {}
        matched = read.get((linked, query.match))
        if matched is None:
            matched = [(n.key, graph.value(n, query.match)) for n in graph.of_type(linked)]
        for key, value in matched:
            if value is not None:
                index.setdefault(str(value), []).append(key)
        out[query.target] = index
        matching.setdefault(linked, []).append((index, query.match))
    # The planned targets, read once for every query rather than once per query.
    for (et, key), values in planned.values.items():
        for index, match in matching.get(et, ()):
            if values.get(match) is not None:
                keys = index.setdefault(str(values[match]), [])
                if key not in keys:
                    keys.append(key)
    return out


def _asked(graph: Graph, rt: ResourceType, binding: str, planned: Planned) -> set[str]:
    only = planned.only.get(rt.source, frozenset()) if planned.only is not None else None
    return {str(v) for n in graph.of_type(rt.source) if only is None or n.key in only
            if (v := graph.value(n, binding)) is not None}


def _expected_links(graph: Graph, node: Node, rt: ResourceType,
                    indexes: dict[str, dict[str, list[str]]], scalars: Scalars
                    ) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for query in rt.queries:
        value = scalars.value(graph, node, query.source)
        keys = indexes.get(query.target, {}).get(str(value), []) if value is not None else []
        out[query.target] = sorted(keys)[:1] if len(keys) > 1 else sorted(keys)
    return out
