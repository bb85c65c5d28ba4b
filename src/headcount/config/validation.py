"""Cross-reference checks that a schema cannot express (SPEC §2): unique identifiers, mappings to
known properties, navigations with a flip side, one mapping key, known connections."""

from __future__ import annotations

import difflib
import functools
import re
import string
from collections.abc import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from holidays import registry

from headcount.config.directory import AdCsvConnection, FileConnection
from headcount.config.jobs import check_jobs
from headcount.config.model import (
    Connection,
    Connector,
    EntityType,
    Project,
    Property,
    PropertyType,
    RowFilter,
)
from headcount.config.resource_type import Validity
from headcount.config.system_checks import check_managed_systems, check_owner_resource_type
from headcount.config.workflow_checks import check_workflow_connections, check_workflows
from headcount.config.yamlsource import PathKey

Problem = tuple[PathKey, str]


def check_project(project: Project) -> list[Problem]:
    """Every problem of a whole configuration."""
    all_types: dict[str, EntityType] = {}
    for connector in project.connectors:
        for et in connector.entity_types:
            all_types.setdefault(et.identifier.lower(), et)
    problems = check_connectors(project)
    problems += list(_check_navigations(project, all_types))
    problems += list(check_resource_types(project))
    problems += list(check_calendars(project))
    problems += list(check_workflows(project))
    problems += list(check_workflow_connections(project))
    problems += list(check_managed_systems(project))
    problems += list(check_jobs(project))
    return problems


def check_connectors(project: Project) -> list[Problem]:
    """The problems each connector and table shows on its own, without looking across
    connectors (what can be trusted when a connector is missing from the configuration)."""
    problems: list[Problem] = []
    problems += _unique(
        [("connectors", i, "identifier") for i in range(len(project.connectors))],
        [c.identifier for c in project.connectors], "connector",
    )
    problems += _unique([("tables", i, "identifier") for i in range(len(project.tables))],
                        [t.identifier for t in project.tables], "table")
    seen_types: set[str] = set()
    for ci, connector in enumerate(project.connectors):
        base: PathKey = ("connectors", ci)
        problems += list(_check_connector(connector, base))
        for ti, et in enumerate(connector.entity_types):
            if et.identifier.lower() in seen_types:
                problems.append(((*base, "entity_types", ti, "identifier"),
                                 f"entity type `{et.identifier}` is declared twice"))
            seen_types.add(et.identifier.lower())
    return problems


def _unique(keys: list[PathKey], names: list[str], what: str) -> list[Problem]:
    seen: set[str] = set()
    out: list[Problem] = []
    for key, name in zip(keys, names, strict=True):
        if name.lower() in seen:
            out.append((key, f"{what} `{name}` is declared twice (identifiers ignore case)"))
        seen.add(name.lower())
    return out


def suggest(word: str, choices: list[str]) -> str:
    """` — did you mean `X`?` for the closest choice (or the same word in another case)."""
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    if not match:
        low = {c.lower(): c for c in choices}
        match = [low[word.lower()]] if word.lower() in low else []
    return f" — did you mean `{match[0]}`?" if match else ""


_DIRECTIVE = re.compile(
    r"%[-_0^#]?(\d*)(\.?\d*f|:?z|[YCymbBhdeaAwuUWGgVjDxFvHkIlPpMSZTRrcsXtnL%+])")


def _check_date_format(fmt: str) -> str | None:
    """Why a date format is wrong, or None. polars parses with chrono and only answers null."""
    if "%" not in fmt:
        return f"date format `{fmt}` has no % directive (e.g. %d/%m/%Y)"
    rest = _DIRECTIVE.sub("", fmt)
    if "%" in rest:
        bad = rest[rest.index("%"):rest.index("%") + 2]
        return f"date format `{fmt}`: unknown directive `{bad}`"
    return None


def _check_regex(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"invalid regular expression `{pattern}`: {exc}"
    return None


def _check_file(conn: FileConnection, key: PathKey) -> Iterator[Problem]:
    if not conn.path and not conn.path_incremental:
        yield key, "a connection needs `path` or `path_incremental`"
    if conn.path_is_regex:
        for setting in ("path", "path_incremental"):
            value = getattr(conn, setting)
            problem = _check_regex(value.rsplit("/", 1)[-1]) if value else None
            if not problem and value and conn.path_date_format:
                group = conn.path_date_group
                if group not in re.compile(value.rsplit("/", 1)[-1]).groupindex:
                    problem = (f"the pattern has no group `(?P<{group}>…)` holding the "
                               "date that `path_date_format` reads")
            if problem:
                yield (*key, setting), problem
    if conn.path_date_format:
        problem = _check_date_format(conn.path_date_format)
        if not conn.path_is_regex:
            problem = "`path_date_format` chooses among the files of a pattern: " \
                      "set `path_is_regex: true`"
        if problem:
            yield (*key, "path_date_format"), problem


def _check_connector(connector: Connector, base: PathKey) -> Iterator[Problem]:
    conns = [c.identifier for c in connector.connections]
    yield from _unique([(*base, "connections", i, "identifier") for i in range(len(conns))],
                       conns, "connection")
    for i, conn in enumerate(connector.connections):
        ckey: PathKey = (*base, "connections", i)
        if isinstance(conn, FileConnection):
            yield from _check_file(conn, ckey)
        if isinstance(conn, Connection | AdCsvConnection):
            try:
                "".encode(conn.encoding)
            except LookupError:
                yield (*ckey, "encoding"), f"unknown encoding `{conn.encoding}`"
        zone, formats = ("local_timezone", "local_date_formats") \
            if isinstance(conn, AdCsvConnection) else ("timezone", "date_formats")
        if isinstance(conn, Connection | AdCsvConnection):
            try:
                ZoneInfo(getattr(conn, zone))
            except (ZoneInfoNotFoundError, ValueError):
                yield (*ckey, zone), f"unknown time zone `{getattr(conn, zone)}`"
            for fi, fmt in enumerate(getattr(conn, formats)):
                problem = _check_date_format(fmt)
                if problem:
                    yield (*ckey, formats, fi), problem
        if isinstance(conn, Connection):
            for ti, step in enumerate(conn.transformations):
                if isinstance(step, RowFilter) and step.operator == "matches":
                    problem = _check_regex(step.value)
                    if problem:
                        yield (*ckey, "transformations", ti, "value"), problem
    types = {et.identifier.lower(): et for et in connector.entity_types}
    for ti, et in enumerate(connector.entity_types):
        tkey: PathKey = (*base, "entity_types", ti)
        names = [p.identifier for p in et.properties]
        yield from _unique([(*tkey, "properties", i, "identifier") for i in range(len(names))],
                           names, "property")
        for pi, prop in enumerate(et.properties):
            pkey: PathKey = (*tkey, "properties", pi)
            if prop.identifier.lower() == "id":
                yield (*pkey, "identifier"), "a property may not be called `Id`"
            if prop.type is PropertyType.ENUM and not prop.values:
                yield pkey, f"enum property `{prop.identifier}` needs `values`"
            if not prop.is_navigation and (prop.target or prop.flip):
                yield pkey, ("`target`/`flip` only apply to navigation properties "
                             f"({prop.identifier})")
        if et.resource_display_name:
            for _, field_name, _, _ in string.Formatter().parse(et.resource_display_name):
                if field_name and et.find_property(field_name) is None:
                    yield ((*tkey, "resource_display_name"),
                           f"unknown property `{field_name}`{suggest(field_name, names)}")
        # A navigation is a column too: the list shows its targets' names (web/resources.py).
        for li, column in enumerate(et.list_columns):
            if et.find_property(column) is None:
                yield ((*tkey, "list_columns", li),
                       f"`{column}` is not a property{suggest(column, names)}")
        for ki, key in enumerate(et.keys):
            if et.find_property(key) is None:
                yield ((*tkey, "keys", ki),
                       f"unknown key property `{key}`{suggest(key, names)}")
    mapped: set[str] = set()
    for mi, mapping in enumerate(connector.mappings):
        mkey: PathKey = (*base, "mappings", mi)
        met = types.get(mapping.entity_type.lower())
        if met is None:
            known = [t.identifier for t in connector.entity_types]
            yield ((*mkey, "entity_type"), f"unknown entity type `{mapping.entity_type}`"
                   f"{suggest(mapping.entity_type, known)}")
            continue
        if mapping.entity_type.lower() in mapped:
            yield (*mkey, "entity_type"), f"entity type `{met.identifier}` is mapped twice"
        mapped.add(mapping.entity_type.lower())
        if mapping.connection.lower() not in {c.lower() for c in conns}:
            yield ((*mkey, "connection"),
                   f"unknown connection `{mapping.connection}`{suggest(mapping.connection, conns)}")
        scalars = [p.identifier for p in met.scalar_properties]
        for prop_name in mapping.columns:
            mprop = met.find_property(prop_name)
            if mprop is None:
                yield ((*mkey, "columns", prop_name),
                       f"unknown property `{prop_name}` in mapping `{met.identifier}`"
                       f"{suggest(prop_name, scalars)}")
            elif mprop.is_navigation:
                yield ((*mkey, "columns", prop_name),
                       f"`{prop_name}` is a navigation property: map it in `associations`")
        key_prop = met.find_property(mapping.key)
        if key_prop is None or key_prop.is_navigation:
            yield ((*mkey, "key"), f"mapping key `{mapping.key}` is not a scalar property of "
                   f"`{met.identifier}`{suggest(mapping.key, scalars)}")
        elif mapping.key not in mapping.columns and key_prop.identifier not in mapping.columns:
            yield (*mkey, "key"), f"mapping key `{mapping.key}` has no column in `columns`"
    mapping_connection = {m.entity_type.lower(): m.connection.lower() for m in connector.mappings}
    seen_navs: set[str] = set()
    for ai, assoc in enumerate(connector.associations):
        akey: PathKey = (*base, "associations", ai)
        if assoc.navigation.lower() in seen_navs:
            yield (*akey, "navigation"), f"`{assoc.navigation}` is mapped twice"
        seen_navs.add(assoc.navigation.lower())
        source_type = assoc.navigation.partition(".")[0].lower()
        if assoc.column and source_type in mapping_connection \
                and mapping_connection[source_type] != assoc.connection.lower():
            yield ((*akey, "connection"),
                   f"`column` reads the key from the mapping's own file: `{assoc.navigation}` "
                   f"must use connection `{mapping_connection[source_type]}`, or name "
                   "`source_column` and `target_column` of an association file")
        et_name, _, nav_name = assoc.navigation.partition(".")
        aet = types.get(et_name.lower())
        if aet is None or not nav_name:
            yield ((*akey, "navigation"), f"`{assoc.navigation}` must read EntityType.Navigation "
                   f"of this connector"
                   f"{suggest(et_name, [t.identifier for t in connector.entity_types])}")
            continue
        nav = aet.find_property(nav_name)
        navs = [p.identifier for p in aet.properties if p.is_navigation]
        if nav is None or not nav.is_navigation:
            yield ((*akey, "navigation"),
                   f"`{nav_name}` is not a navigation property of `{aet.identifier}`"
                   f"{suggest(nav_name, navs)}")
        if assoc.connection.lower() not in {c.lower() for c in conns}:
            yield ((*akey, "connection"),
                   f"unknown connection `{assoc.connection}`{suggest(assoc.connection, conns)}")
        if assoc.column and (assoc.source_column or assoc.target_column):
            yield akey, "give either `column` or `source_column` + `target_column`, not both"
        elif not assoc.column and not (assoc.source_column and assoc.target_column):
            yield akey, "give `column`, or `source_column` and `target_column`"
        if aet.identifier.lower() not in mapped and assoc.column:
            yield akey, f"`{aet.identifier}` has no entity type mapping to take its key from"


def _check_navigations(project: Project, all_types: dict[str, EntityType]) -> Iterator[Problem]:
    flips: dict[tuple[str, str], str] = {}
    for ci, connector in enumerate(project.connectors):
        for ti, et in enumerate(connector.entity_types):
            for pi, prop in enumerate(et.properties):
                if not prop.is_navigation:
                    continue
                pkey: PathKey = ("connectors", ci, "entity_types", ti, "properties", pi)
                if not prop.target:
                    yield pkey, f"navigation `{prop.identifier}` needs a `target` entity type"
                    continue
                target = all_types.get(prop.target.lower())
                if target is None:
                    known = [t.identifier for t in all_types.values()]
                    yield ((*pkey, "target"), f"unknown entity type `{prop.target}`"
                           f"{suggest(prop.target, known)}")
                    continue
                if not prop.flip:
                    yield pkey, (f"navigation `{prop.identifier}` needs its flip side: "
                                 f"`flip: <name of the reverse navigation on {target.identifier}>`")
                elif target.find_property(prop.flip) is not None:
                    yield ((*pkey, "flip"), f"flip side `{prop.flip}` already names a property of "
                           f"`{target.identifier}`")
                else:
                    slot = (target.identifier.lower(), prop.flip.lower())
                    owner = f"{et.identifier}.{prop.identifier}"
                    if slot in flips:
                        yield ((*pkey, "flip"), f"flip side `{prop.flip}` of `{target.identifier}`"
                               f" is already the flip side of `{flips[slot]}`")
                    flips[slot] = owner


def resolve(project: Project, entity_type: EntityType, binding: str) -> Property | None:
    """The property a binding ends on, following navigations: `Organization.Code` on HR_Person
    is HR_Organization.Code. None when a step does not exist."""
    current = entity_type
    parts = binding.split(".")
    for i, part in enumerate(parts):
        prop = current.find_property(part)
        if prop is None:
            return None
        if i == len(parts) - 1:
            return prop
        if not prop.is_navigation or not prop.target:
            return None
        found = project.entity_type(prop.target)
        if found is None:
            return None
        current = found[1]
    return None


def _flip_side(project: Project, entity_type: EntityType, binding: str) -> str | None:
    """`Source.Navigation` when the first step of a binding names a flip side of
    `entity_type` (`Records` of Directory_User is Directory_UserRecord.User)."""
    first = binding.split(".")[0].lower()
    for connector in project.connectors:
        for et in connector.entity_types:
            for p in et.properties:
                if p.is_navigation and p.flip and p.flip.lower() == first and p.target \
                        and p.target.lower() == entity_type.identifier.lower():
                    return f"{et.identifier}.{p.identifier}"
    return None


def _binding_problem(project: Project, et: EntityType, binding: str, scalar: bool
                     ) -> str | None:
    prop = resolve(project, et, binding)
    if prop is None:
        first = binding.split(".")[0]
        flip = _flip_side(project, et, binding)
        if flip is not None:
            # A flip side reaches several resources (a person's records: past, current,
            # future-dated): which one's value would be arbitrary.
            return (f"`{first}` is the flip side of `{flip}`: bindings follow navigations "
                    f"forward only; bind a property of `{et.identifier}` itself (the workforce "
                    "template's Directory_User carries LastName and FirstName for correlation)")
        return (f"`{binding}` does not resolve on `{et.identifier}`"
                f"{suggest(first, [p.identifier for p in et.properties])}")
    if scalar and prop.is_navigation:
        return f"`{binding}` ends on a navigation; name one of its target's properties"
    return None


def check_resource_types(project: Project) -> Iterator[Problem]:
    names = [rt.identifier for rt in project.resource_types]
    yield from _unique([("resource_types", i, "identifier") for i in range(len(names))], names,
                       "resource type")
    for ri, rt in enumerate(project.resource_types):
        base: PathKey = ("resource_types", ri)
        known = [et.identifier for c in project.connectors for et in c.entity_types]
        source = project.entity_type(rt.source)
        target = project.entity_type(rt.target)
        if source is None:
            yield (*base, "source"), f"unknown entity type `{rt.source}`{suggest(rt.source, known)}"
        if target is None:
            yield (*base, "target"), f"unknown entity type `{rt.target}`{suggest(rt.target, known)}"
        if source is None or target is None:
            continue
        src, tgt = source[1], target[1]
        if rt.owner:
            yield from check_owner_resource_type(project, rt, base)
            continue
        if tgt.key_computed_by(rt) is None:
            keys = tgt.keys or [p.identifier for p in tgt.scalar_properties[:1]]
            yield ((*base, "scalars"), f"computes no key property of `{tgt.identifier}` "
                   f"({', '.join(keys)}): add a scalar rule whose `target` is one of them "
                   "(a run could not tell one target from another)")
        for ti, type_rule in enumerate(rt.type_rules):
            for binding in type_rule.filter:
                problem = _binding_problem(project, src, binding, scalar=True)
                if problem:
                    yield (*base, "type_rules", ti, "filter", binding), problem
        for ci, corr in enumerate(rt.correlation):
            for side, et, bindings in (("source", src, corr.source), ("target", tgt, corr.target)):
                for bi, binding in enumerate(bindings):
                    problem = _binding_problem(project, et, binding, scalar=True)
                    if problem:
                        yield (*base, "correlation", ci, side, bi), problem
        seen: set[str] = set()
        for si, rule in enumerate(rt.scalars):
            key: PathKey = (*base, "scalars", si)
            prop = tgt.find_property(rule.target)
            if prop is None or prop.is_navigation:
                scalars = [p.identifier for p in tgt.scalar_properties]
                yield ((*key, "target"), f"`{rule.target}` is not a scalar property of "
                       f"`{tgt.identifier}`{suggest(rule.target, scalars)}")
            elif rule.target.lower() in seen:
                yield (*key, "target"), f"`{rule.target}` is computed by two scalar rules"
            seen.add(rule.target.lower())
            if rule.source:
                problem = _binding_problem(project, src, rule.source, scalar=True)
                if problem:
                    yield (*key, "source"), problem
        if rt.validity is not None:
            yield from _check_validity(project, rt.validity, src, tgt, (*base, "validity"))
        for qi, query in enumerate(rt.queries):
            key = (*base, "queries", qi)
            nav = tgt.find_property(query.target)
            if nav is None or not nav.is_navigation or not nav.target:
                navs = [p.identifier for p in tgt.properties if p.is_navigation]
                yield ((*key, "target"), f"`{query.target}` is not a navigation property of "
                       f"`{tgt.identifier}`{suggest(query.target, navs)}")
                continue
            problem = _binding_problem(project, src, query.source, scalar=True)
            if problem:
                yield (*key, "source"), problem
            matched = project.entity_type(nav.target)
            if matched is not None:
                problem = _binding_problem(project, matched[1], query.match, scalar=True)
                if problem:
                    yield (*key, "match"), problem


def _check_validity(project: Project, validity: Validity, src: EntityType, tgt: EntityType,
                    base: PathKey) -> Iterator[Problem]:
    for name in ("start", "end", "timezone", "effective"):
        binding = getattr(validity, name)
        if binding:
            problem = _binding_problem(project, src, binding, scalar=True)
            if problem:
                yield (*base, name), problem
    for name in ("state", "start_property", "end_property"):
        target = getattr(validity, name)
        if target:
            prop = tgt.find_property(target)
            if prop is None or prop.is_navigation:
                scalars = [p.identifier for p in tgt.scalar_properties]
                yield ((*base, name), f"`{target}` is not a scalar property of "
                       f"`{tgt.identifier}`{suggest(target, scalars)}")
    try:
        ZoneInfo(validity.default_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        yield (*base, "default_timezone"), f"unknown time zone `{validity.default_timezone}`"


def check_calendars(project: Project) -> Iterator[Problem]:
    """Known countries and subdivisions, a week with a working day, one default calendar."""
    yield from _unique([("calendars", i, "identifier") for i in range(len(project.calendars))],
                       [c.identifier for c in project.calendars], "calendar")
    default: str | None = None
    for i, cal in enumerate(project.calendars):
        base: PathKey = ("calendars", i)
        code = cal.country_code
        if cal.country is not None and code not in _countries():
            yield ((*base, "country"), f"unknown country code `{cal.country}` (ISO 3166-1 "
                   "alpha-2 or alpha-3, as the `holidays` package knows them)"
                   f"{_suggest_country(cal.country)}")
        elif cal.subdivision is not None:
            if code is None:
                yield (*base, "subdivision"), "a subdivision needs its `country`"
            elif cal.subdivision not in _subdivisions(code):
                yield (*base, "subdivision"), _subdivision_problem(code, cal.subdivision)
        if len(set(cal.weekend)) == 7:
            yield (*base, "weekend"), "every day of the week is a weekend day: keep one to work"
        days_off = set(cal.holidays)
        for di, day in enumerate(cal.working_days):
            if day in days_off:
                yield ((*base, "working_days", di),
                       f"{day.isoformat()} is declared both a holiday and a working day")
        for prop, values in cal.sites.items():
            if values == [] or values == "":
                yield (*base, "sites", prop), f"no value of `{prop}` picks this calendar"
        if cal.default:
            if default is not None:
                yield ((*base, "default"), f"calendar `{default}` is already the default (a "
                       "project has one default calendar)")
            default = default or cal.identifier


@functools.cache
def _countries() -> frozenset[str]:
    return frozenset(holidays.list_supported_countries())


@functools.cache
def _country_aliases() -> dict[str, str]:
    """What people write instead of a code — its English name, its alpha-3 code — → the code."""
    aliases: dict[str, str] = {}
    for entry in registry.COUNTRIES.values():
        name, code, alpha3 = entry[0], entry[1], entry[2]
        aliases[re.sub(r"[^a-z]", "", name.lower())] = code
        aliases[alpha3] = code
    return aliases


def _suggest_country(written: str) -> str:
    aliases = _country_aliases()
    squeezed = re.sub(r"[^a-z]", "", written.lower())
    code = aliases.get(squeezed) or aliases.get(written.strip().upper())
    if code is None:
        names = [alias for alias in aliases if alias.islower()]
        close = difflib.get_close_matches(squeezed, names, n=1, cutoff=0.8)
        code = aliases[close[0]] if close else None
    return f" — did you mean `{code}`?" if code else suggest(written, sorted(_countries()))


@functools.cache
def _subdivisions(country: str) -> dict[str, str]:
    """A country's subdivision codes and their aliases (Alsace → 6AE)."""
    entity = holidays.country_holidays(country)
    aliases: dict[str, str] = dict(getattr(entity, "subdivisions_aliases", {}) or {})
    return {**{code: code for code in entity.subdivisions}, **aliases}


def _subdivision_problem(country: str, written: str) -> str:
    known = _subdivisions(country)
    if not known:
        return f"`{country}` has no subdivisions with holidays of their own"
    hint = suggest(written, list(known))
    codes = sorted(set(known.values()))
    listed = "" if hint else f" (the codes are: {', '.join(codes[:30])}" \
        f"{', …' if len(codes) > 30 else ''})"
    return f"unknown subdivision `{written}` of `{country}`{hint}{listed}"
