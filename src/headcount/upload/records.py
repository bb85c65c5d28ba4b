"""The records of one identity in an upload (SPEC §5, §8): a fixed-term contract has its end
date, and two main positions of one person never overlap."""

from __future__ import annotations

import polars as pl

from headcount.config.model import EntityType, Project, Property, PropertyType
from headcount.connections.reader import LINE
from headcount.upload.columns import Tab
from headcount.upload.resolve import BAD, Resolved
from headcount.upload.scope import Scope, resource_types
from headcount.upload.stored import KEY
from headcount.upload.uniqueness import identity_of
from headcount.upload.verified import Problem

_MAIN = "IsMainPosition"  # a record that is not a main position may overlap another
_FAR_PAST, _FAR_FUTURE = "0000-01-01", "9999-12-31"


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


def overlaps(scope: Scope, tab: Resolved, described: Tab) -> list[Problem]:
    """Two main-position records of one identity whose dates overlap: an error on the later
    row, naming the other."""
    et = tab.entity_type
    identity = identity_of(scope.project, described)
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


def _validity_target(project: Project, et: EntityType, which: str) -> Property | None:
    """The property receiving the source's first or last day (a record's ContractEndDate)."""
    for rt in resource_types(project, et):
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
    for rt in resource_types(project, et):
        if rt.validity is None:
            continue
        name = rt.validity.start_property if which == "start" else rt.validity.end_property
        prop = et.find_property(name) if name else None
        if prop is not None:
            return prop
    return None
