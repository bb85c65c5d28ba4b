"""Unique values in an upload (SPEC §6.5): keys, e-mails and logins that no two identities
share, in the file or with the repository — case ignored, and the prefix or suffix a user type
adds ignored, as the policy compares them (`policy.unique`)."""

from __future__ import annotations

import polars as pl

from headcount.config.model import EntityType, Project, Property
from headcount.config.resource_type import ResourceType
from headcount.connections.reader import LINE
from headcount.policy.expressions import compile_expression
from headcount.policy.unique import UniqueValues
from headcount.upload.columns import Tab, label
from headcount.upload.resolve import Resolved
from headcount.upload.scope import Scope, key_prop, resource_types
from headcount.upload.stored import KEY
from headcount.upload.verified import Problem


def unique_values(scope: Scope, tab: Resolved, described: Tab) -> list[Problem]:
    """Keys, and the values of `unique` rules: no two identities share one, case ignored and
    the user type's prefix or suffix too (SPEC §6.5), in the file or with the repository."""
    et = tab.entity_type
    identity = identity_of(scope.project, described)
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
    header, letter = tab.where(key_prop(tab.entity_type, tab.key))
    return [Problem(tab.name, line, header, letter, key,
                    f"`{key}` differs from the stored key `{other}` only by its case: write "
                    f"`{other}` to change that one, or another key")
            for line, key, _, other in clash.sort(LINE).rows()]


def identity_of(project: Project, described: Tab) -> str | None:
    """The navigation naming the person a resource belongs to (a record's User): a required
    one to the entity type whose resource type keeps a state."""
    people = {rt.target for rt in project.resource_types
              if rt.validity is not None and rt.validity.state}
    return next((c.prop.identifier for c in described.columns
                 if c.required and c.prop.is_navigation and not c.prop.multivalued
                 and c.prop.target in people), None)


def _unique_rules(project: Project, et: EntityType) -> list[tuple[ResourceType, str]]:
    seen: dict[str, ResourceType] = {}
    for rt in resource_types(project, et):
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
