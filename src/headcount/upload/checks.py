"""The checks of an upload across rows and tabs (SPEC §9): references that resolve, required
values, and the columns HR computes here; end dates and overlaps in `records`, unique values in
`uniqueness`. Each runs set-wise over the resolved tabs; Python looks only at the rows in
error."""

from __future__ import annotations

import polars as pl

from headcount.config.model import Project, Property
from headcount.connections.reader import LINE
from headcount.upload.columns import MULTIVALUE_SEPARATOR, NOTE_MARK, Tab, label, upload_connector
from headcount.upload.records import end_dates, overlaps
from headcount.upload.resolve import BAD, COMMAND, Resolved
from headcount.upload.scope import Scope, article, key_prop, type_name
from headcount.upload.stored import KEY
from headcount.upload.uniqueness import unique_values
from headcount.upload.verified import Problem


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
        name = type_name(scope.project, target)
        header, letter = tab.where(prop)
        for line, key in wrong.rows():
            message = (f"`{key}` is deleted by this file: keep that {name} or refer to "
                       f"another one") if key in deleted else \
                (f"`{key}` is not a key of {article(name)} {name}, in this file or in the "
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
    header, letter = deleting.where(key_prop(deleting.entity_type, deleting.key))
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
