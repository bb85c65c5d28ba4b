"""The checks of an upload across rows and tabs (SPEC §9): references that resolve, required
values, end dates of fixed-term contracts, unique values (SPEC §6.5), records that do not
overlap, and the columns HR computes. Each runs set-wise over the resolved tabs; Python looks
only at the rows in error."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import polars as pl

from headcount.config.model import EntityType, Project, Property, PropertyType
from headcount.config.resource_type import ResourceType
from headcount.connections.reader import LINE
from headcount.policy.expressions import compile_expression
from headcount.policy.unique import UniqueValues
from headcount.upload.columns import MULTIVALUE_SEPARATOR, NOTE_MARK, Tab, label, upload_connector
from headcount.upload.resolve import BAD, COMMAND, Resolved
from headcount.upload.stored import KEY
from headcount.upload.verified import Mode, Problem

_MAIN = "IsMainPosition"  # a record that is not a main position may overlap another
_FAR_PAST, _FAR_FUTURE = "0000-01-01", "9999-12-31"


@dataclass(frozen=True)
class Scope:
    """What the checks compare the file with."""

    project: Project
    mode: Mode
    tabs: list[Resolved]
    stored: dict[str, pl.DataFrame]  # by entity type: the stored resources (KEY, properties)
    stored_keys: Callable[[str], set[str]]  # the stored keys of any entity type
    # Deleted and available keys by entity type, computed once: every navigation asks.
    _known: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def tab(self, entity_type: str) -> Resolved | None:
        return next((t for t in self.tabs if t.entity_type.identifier == entity_type), None)

    def deleted(self, entity_type: str) -> set[str]:
        """Stored keys this file deletes: its Delete rows and, in a complete file, what the
        tab does not list."""
        if ("deleted", entity_type) in self._known:
            return self._known[("deleted", entity_type)]
        tab = self.tab(entity_type)
        if tab is None:
            return set()
        frame = tab.frame.filter(pl.col(tab.key).is_not_null())
        gone = set(frame.filter(pl.col(COMMAND) == "delete")[tab.key].to_list())
        if self.mode == "complete":
            gone |= self.stored_keys(entity_type) - set(frame[tab.key].to_list())
        gone &= self.stored_keys(entity_type)
        self._known[("deleted", entity_type)] = gone
        return gone

    def available(self, entity_type: str) -> set[str]:
        """The keys a reference may name after the load."""
        if ("available", entity_type) not in self._known:
            tab = self.tab(entity_type)
            keys = self.stored_keys(entity_type) - self.deleted(entity_type)
            if tab is not None:
                keys |= {k for k in tab.live()[tab.key].to_list() if k is not None}
            self._known[("available", entity_type)] = keys
        return self._known[("available", entity_type)]


def check(scope: Scope, described: list[Tab]) -> list[Problem]:
    columns = {t.entity_type.identifier: t for t in described}
    problems: list[Problem] = stored_references(scope, described)
    for tab in scope.tabs:
        problems += references(scope, tab)
        problems += required(tab, columns[tab.entity_type.identifier])
        problems += end_dates(scope, tab)
        problems += unique_values(scope, tab, columns[tab.entity_type.identifier])
        problems += overlaps(scope, tab, columns[tab.entity_type.identifier])
        problems += computed_by_hr(scope.project, tab)
    return problems


def references(scope: Scope, tab: Resolved) -> list[Problem]:
    problems = []
    live = tab.live()
    for prop in tab.entity_type.properties:
        if not prop.is_navigation or prop.target is None:
            continue
        target = str(prop.target)
        named = live.select(LINE, pl.col(prop.identifier).str.split(MULTIVALUE_SEPARATOR)
                            .alias("key")).explode("key").filter(pl.col("key").is_not_null())
        if named.height == 0:
            continue
        known = pl.DataFrame({"key": sorted(scope.available(target))}, schema={"key": pl.String})
        wrong = named.join(known, on="key", how="anti").sort(LINE)
        if wrong.height == 0:
            continue
        deleted = scope.deleted(target)
        name = _type_name(scope.project, target)
        header, letter = tab.where(prop)
        for line, key in wrong.rows():
            message = (f"`{key}` is deleted by this file: keep that {name} or refer to "
                       f"another one") if key in deleted else \
                (f"`{key}` is not a key of {_article(name)} {name}, in this file or in the "
                 f"repository")
            problems.append(Problem(tab.name, line, header, letter, key, message))
    return problems


def stored_references(scope: Scope, described: list[Tab]) -> list[Problem]:
    """What the file deletes and a resource it leaves alone still names (an organization's
    Manager when only the Identity tab is uploaded): an error where the link is required, a
    warning elsewhere — reported on the tab that deletes it."""
    gone = {tab.entity_type.identifier: scope.deleted(tab.entity_type.identifier)
            for tab in scope.tabs}
    if not any(gone.values()):
        return []
    problems = []
    for tab in described:
        et = tab.entity_type
        stored = scope.stored.get(et.identifier)
        if stored is None or stored.height == 0:
            continue
        own = scope.tab(et.identifier)
        listed = set(own.frame[own.key].drop_nulls().to_list()) if own else set()
        kept = stored.filter(~pl.col(KEY).is_in(list(listed | gone.get(et.identifier, set()))))
        for column in tab.columns:
            target = str(column.prop.target)
            if not column.prop.is_navigation or not gone.get(target):
                continue
            named = kept.select(KEY, pl.col(column.prop.identifier).str.split(
                MULTIVALUE_SEPARATOR).alias("target")).explode("target").filter(
                pl.col("target").is_in(list(gone[target])))
            problems += _dangling(scope, tab, column.prop, column.required, named.rows())
    return problems


def _dangling(scope: Scope, tab: Tab, prop: Property, needed: bool,
              pairs: list[tuple[str, str]]) -> list[Problem]:
    by_target: dict[str, list[str]] = {}
    for source, target in pairs:
        by_target.setdefault(target, []).append(source)
    deleting = scope.tab(str(prop.target))
    if deleting is None:
        return []
    lines = dict(deleting.frame.filter(pl.col(COMMAND) == "delete").select(
        deleting.key, LINE).rows())
    header, letter = deleting.where(_key_prop(deleting.entity_type, deleting.key))
    problems = []
    for target, sources in sorted(by_target.items()):
        shown = ", ".join(f"`{s}`" for s in sorted(sources)[:5]) + (
            " …" if len(sources) > 5 else "")
        problems.append(Problem(
            deleting.name, lines.get(target), header, letter, target,
            f"`{target}` is deleted by this file, but {_plural(tab.name, len(sources))} {shown} "
            f"(not in this file) still {'names' if len(sources) == 1 else 'name'} it as "
            f"{label(prop)}: keep it, or change {'its' if len(sources) == 1 else 'their'} "
            f"{label(prop)} in the tab {tab.name}", "error" if needed else "warning"))
    return problems


def _plural(name: str, count: int) -> str:
    return name if count == 1 else f"{count} {name}s"


def required(tab: Resolved, described: Tab) -> list[Problem]:
    problems = []
    live = tab.live()
    what = tab.layout.tab.name
    for column in described.columns:
        name = column.prop.identifier
        if not column.required or name == tab.key:
            continue
        empty = pl.col(name).is_null()
        if (name + BAD) in live.columns:
            empty = empty & ~pl.col(name + BAD)
        header, letter = tab.where(column.prop)
        note = column.note.removeprefix(NOTE_MARK).split(", unique")[0]
        for (line,) in live.filter(empty).select(LINE).rows():
            problems.append(Problem(tab.name, line, header, letter, None,
                                    f"{label(column.prop)} is required for every {what}: "
                                    f"write the {note}"))
    return problems


def end_dates(scope: Scope, tab: Resolved) -> list[Problem]:
    """A record of a user type listed in `upload.end_date_required` has its contract's end."""
    kinds = {k.casefold() for k in scope.project.upload.end_date_required}
    user_type = tab.entity_type.find_property("UserType")
    end = _validity_target(scope.project, tab.entity_type, "end")
    if not kinds or user_type is None or end is None:
        return []
    live = tab.live()
    empty = pl.col(end.identifier).is_null()
    if (end.identifier + BAD) in live.columns:
        empty = empty & ~pl.col(end.identifier + BAD)
    header, letter = tab.where(end)
    problems = []
    for line, kind in live.filter(empty & pl.col(user_type.identifier).str.to_lowercase()
                                  .is_in(list(kinds))).select(LINE, user_type.identifier).rows():
        problems.append(Problem(tab.name, line, header, letter, None,
                                f"a `{kind}` contract needs its end date: write the last day "
                                f"as DD/MM/YYYY"))
    return problems


def unique_values(scope: Scope, tab: Resolved, described: Tab) -> list[Problem]:
    """Keys, and the values of `unique` rules: no two identities share one, case ignored and
    the user type's prefix or suffix too (SPEC §6.5), in the file or with the repository."""
    et = tab.entity_type
    identity = _identity(scope.project, described)
    stored = scope.stored.get(et.identifier)
    problems = _key_case(tab, stored)
    if stored is None:
        return problems
    listed = set(tab.frame[tab.key].drop_nulls().to_list())
    others = stored.filter(~pl.col(KEY).is_in(list(listed | scope.deleted(et.identifier))))
    for rt, rule_target in _unique_rules(scope.project, et):
        prop = et.find_property(rule_target)
        if prop is None:
            continue
        values = UniqueValues((), (), (), *_affixes(scope, rt, et, rule_target))
        file = tab.live().select(
            LINE, pl.col(tab.key).alias("key"), pl.col(rule_target).alias("value"),
            (pl.col(identity) if identity else pl.col(tab.key)).alias("identity"),
        ).filter(pl.col("value").is_not_null())
        held = others.select(
            pl.lit(None, pl.Int64).alias(LINE), pl.col(KEY).alias("key"),
            pl.col(rule_target).alias("value"),
            (pl.col(identity) if identity else pl.col(KEY)).alias("identity"),
        ).filter(pl.col("value").is_not_null())
        everyone = pl.concat([file, held]).with_columns(
            pl.col("identity").fill_null(pl.col("key")),
            pl.col("value").map_elements(values.core_of, return_dtype=pl.String).alias("core"))
        pairs = everyone.filter(pl.col(LINE).is_not_null()).join(
            everyone, on="core", suffix="_other").filter(
            pl.col("identity") != pl.col("identity_other"))
        problems += _unique_problems(tab, prop, pairs, stored)
    return problems


def _unique_problems(tab: Resolved, prop: Property, pairs: pl.DataFrame,
                     stored: pl.DataFrame) -> list[Problem]:
    """One problem per row that takes a value someone else holds: the row that changed it
    (its stored value was another), else the later row."""
    before = dict(stored.select(KEY, prop.identifier).rows())
    header, letter = tab.where(prop)
    blamed: dict[int, tuple[str, list[str]]] = {}
    for line, key, value, line_other, key_other in pairs.select(
            LINE, "key", "value", LINE + "_other", "key_other").rows():
        if line_other is not None:
            changed, changed_other = before.get(key) != value, before.get(key_other) != value
            if changed == changed_other and line < line_other:
                continue
            if changed_other and not changed:
                continue
            other = f"row {line_other}"
        else:
            other = f"{label(prop)} of `{key_other}` in the repository"
        blamed.setdefault(line, (value, []))[1].append(other)
    return [Problem(tab.name, line, header, letter, value,
                    f"`{value}` is already someone else's ({', '.join(sorted(set(others)))}): "
                    f"each person needs their own (case and prefixes are ignored)")
            for line, (value, others) in sorted(blamed.items())]


def _key_case(tab: Resolved, stored: pl.DataFrame | None) -> list[Problem]:
    """A key that differs from a stored one by its case only would be another resource that
    nobody can tell apart."""
    if stored is None or stored.height == 0:
        return []
    keys = tab.frame.select(LINE, pl.col(tab.key).alias("key")).filter(
        pl.col("key").is_not_null()).with_columns(pl.col("key").str.to_lowercase().alias("f"))
    held = stored.select(pl.col(KEY).alias("held"), pl.col(KEY).str.to_lowercase().alias("f"))
    clash = keys.join(held, on="f").filter(pl.col("key") != pl.col("held"))
    clash = clash.join(held.select(pl.col("held").alias("key")), on="key", how="anti")
    header, letter = tab.where(_key_prop(tab.entity_type, tab.key))
    return [Problem(tab.name, line, header, letter, key,
                    f"`{key}` differs from the stored key `{other}` only by its case: write "
                    f"`{other}` to change that one, or another key")
            for line, key, _, other in clash.sort(LINE).rows()]


def overlaps(scope: Scope, tab: Resolved, described: Tab) -> list[Problem]:
    """Two main-position records of one identity whose dates overlap: an error on the later
    row, naming the other."""
    et = tab.entity_type
    identity = _identity(scope.project, described)
    starts = [p for p in (_validity_property(scope.project, et, "start"),
                          _validity_target(scope.project, et, "start")) if p]
    ends = [p for p in (_validity_property(scope.project, et, "end"),
                        _validity_target(scope.project, et, "end")) if p]
    if identity is None or not starts or not ends:
        return []
    main = et.find_property(_MAIN)
    bad = [p.identifier + BAD for p in [*starts, *ends] if p.identifier + BAD in tab.frame.columns]

    def ranges(frame: pl.DataFrame, line: pl.Expr, key: str) -> pl.DataFrame:
        return frame.select(
            line.alias(LINE), pl.col(key).alias("key"), pl.col(str(identity)).alias("identity"),
            pl.coalesce([pl.col(p.identifier) for p in starts]).fill_null(_FAR_PAST)
            .alias("start"),
            pl.coalesce([pl.col(p.identifier) for p in ends]).fill_null(_FAR_FUTURE)
            .alias("end"),
            (pl.col(main.identifier).fill_null("true") == "true" if main else pl.lit(True))
            .alias("main")).filter(pl.col("main") & pl.col("identity").is_not_null())

    live = tab.live()
    if bad:
        live = live.filter(~pl.any_horizontal(pl.col(bad)))
    file = ranges(live, pl.col(LINE), tab.key)
    stored = scope.stored.get(et.identifier)
    everyone = file
    if stored is not None:
        listed = list(set(tab.frame[tab.key].drop_nulls().to_list())
                      | scope.deleted(et.identifier))
        everyone = pl.concat([file, ranges(stored.filter(~pl.col(KEY).is_in(listed)),
                                           pl.lit(None, pl.Int64), KEY)])
    pairs = file.join(everyone, on="identity", suffix="_other").filter(
        (pl.col("key") != pl.col("key_other"))
        & (pl.col("start") <= pl.col("end_other")) & (pl.col("start_other") <= pl.col("end"))
        & (pl.col(LINE + "_other").is_null() | (pl.col(LINE + "_other") < pl.col(LINE))))
    header, letter = tab.where(starts[-1])
    found: dict[int, list[str]] = {}
    for line, other_line, other_key in pairs.select(LINE, LINE + "_other", "key_other").rows():
        found.setdefault(line, []).append(
            f"row {other_line}" if other_line is not None else f"`{other_key}` in the repository")
    return [Problem(tab.name, line, header, letter, None,
                    f"this record overlaps another main position of the same person "
                    f"({', '.join(others)}): end one before the other starts")
            for line, others in sorted(found.items())]


def computed_by_hr(project: Project, tab: Resolved) -> list[Problem]:
    """A column an HR rule writes: a warning, as the next HR run may replace it."""
    upload_types = {e.identifier for e in upload_connector(project).entity_types}
    live = tab.live()
    problems = []
    for name, header in tab.layout.columns.items():
        if name == tab.key or tab.cells(name).null_count() == live.height:
            continue
        rules = [rt.identifier for rt in project.resource_types
                 if rt.target == tab.entity_type.identifier and not rt.owner
                 and rt.source not in upload_types
                 and any(r.target == name for r in rt.scalars)]
        if rules:
            problems.append(Problem(tab.name, None, header.text, header.letter, None,
                                    f"computed from HR by rule {rules[0]}: the next HR run may "
                                    f"replace it", "warning"))
    return problems


def _identity(project: Project, described: Tab) -> str | None:
    """The navigation naming the person a resource belongs to (a record's User): a required
    one to the entity type whose resource type keeps a state."""
    people = {rt.target for rt in project.resource_types
              if rt.validity is not None and rt.validity.state}
    return next((c.prop.identifier for c in described.columns
                 if c.required and c.prop.is_navigation and not c.prop.multivalued
                 and c.prop.target in people), None)


def _resource_types(project: Project, et: EntityType) -> Iterable[ResourceType]:
    return (rt for rt in project.resource_types if rt.target == et.identifier and not rt.owner)


def _validity_target(project: Project, et: EntityType, which: str) -> Property | None:
    """The property receiving the source's first or last day (a record's ContractEndDate)."""
    for rt in _resource_types(project, et):
        if rt.validity is None:
            continue
        source = rt.validity.start if which == "start" else rt.validity.end
        for rule in rt.scalars:
            if source is not None and rule.source == source:
                prop = et.find_property(rule.target)
                if prop is not None and prop.type is PropertyType.DATE:
                    return prop
    return None


def _validity_property(project: Project, et: EntityType, which: str) -> Property | None:
    """The target's own first or last day (a record's StartDate, EndDate)."""
    for rt in _resource_types(project, et):
        if rt.validity is None:
            continue
        name = rt.validity.start_property if which == "start" else rt.validity.end_property
        prop = et.find_property(name) if name else None
        if prop is not None:
            return prop
    return None


def _unique_rules(project: Project, et: EntityType) -> list[tuple[ResourceType, str]]:
    seen: dict[str, ResourceType] = {}
    for rt in _resource_types(project, et):
        for rule in rt.scalars:
            if rule.unique:
                seen.setdefault(rule.target, rt)
    return [(rt, target) for target, rt in seen.items()]


def _affixes(scope: Scope, rt: ResourceType, et: EntityType, target: str
             ) -> tuple[list[str], list[str]]:
    """Every prefix and suffix the rule can give: its expressions (`UserType.LoginPrefix`)
    evaluated over the resources their navigation reaches, stored or in the file."""
    rule = next(r for r in rt.scalars if r.target == target)
    found: list[list[str]] = []
    for text in (rule.prefix, rule.suffix):
        found.append(_expression_values(scope, et, text) if text else [])
    return found[0], found[1]


def _expression_values(scope: Scope, et: EntityType, text: str) -> list[str]:
    expression = compile_expression(text)
    if len(expression.names) != 1:
        return []
    (name,) = expression.names
    navigation, _, wanted = name.partition(".")
    prop = et.find_property(navigation)
    if prop is None or prop.target is None or not wanted:
        return []
    values: set[str] = set()
    stored = scope.stored.get(str(prop.target))
    if stored is not None and wanted in stored.columns:
        values |= set(stored[wanted].drop_nulls().to_list())
    tab = scope.tab(str(prop.target))
    if tab is not None and wanted in tab.frame.columns:
        values |= set(tab.frame[wanted].drop_nulls().to_list())
    out = []
    for value in values:
        result = expression.evaluate({name: value})
        if result:
            out.append(str(result))
    return out


def _key_prop(et: EntityType, key: str) -> Property:
    prop = et.find_property(key)
    assert prop is not None, key
    return prop


def _type_name(project: Project, identifier: str) -> str:
    for connector in project.connectors:
        for et in connector.entity_types:
            if et.identifier == identifier:
                return et.display_name or et.identifier
    return identifier


def _article(name: str) -> str:
    return "an" if name[:1].lower() in "aeio" else "a"  # a User type, an Identity
