"""Prepare (SPEC §4.1): keep the mapped columns, set aside rows with an empty key, conflicting
duplicate keys or unparsable values, parse values to their canonical form, hash each row, sort by
key. A mapped column missing from the header fails the run before anything changes."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import polars as pl
import polars_hash as plh

from headcount import frames
from headcount.config.model import (
    AnyConnection,
    AssociationMapping,
    Connector,
    EntityTypeMapping,
)
from headcount.connections.reader import SourceTable
from headcount.errors import Location, SourceError
from headcount.sync.prepared import (
    COMMAND,
    DATA,
    HASH,
    KEY,
    LINE,
    TARGET,
    PreparedAssociation,
    PreparedEntities,
    SetAsideRow,
    nav_column,
)
from headcount.sync.values import parse_column_of

COMMANDS = ("insert", "update", "delete", "merge")
TEXT = "__text"


def require_columns(table: SourceTable, wanted: Iterable[tuple[str, str]]) -> None:
    """Fail when a mapped column is missing: a renamed column must not null out a property."""
    if not table.header:
        raise SourceError("the file is empty: no header, no rows",
                          Location(table.file.path, table.header_line))
    missing = [(column, use) for column, use in wanted if column not in table.header]
    if not missing:
        return
    lines = []
    for column, use in missing:
        close = difflib.get_close_matches(column, table.header, n=1, cutoff=0.6)
        hint = f" — renamed to `{close[0]}`?" if close else ""
        lines.append(f"mapped column `{column}` ({use}) is missing from the header{hint}")
    raise SourceError("; ".join(lines) + f". Header: {', '.join(table.header)}",
                      Location(table.file.path, table.header_line))


def mapped_columns(mapping: EntityTypeMapping, associations: list[AssociationMapping]
                   ) -> list[tuple[str, str]]:
    wanted = [(col, f"{mapping.entity_type}.{prop}") for prop, col in mapping.columns.items()]
    wanted += [(a.column, a.navigation) for a in associations if a.column]
    return wanted


def prepare_entities(table: SourceTable, connector: Connector, mapping: EntityTypeMapping,
                     associations: list[AssociationMapping], incremental: bool
                     ) -> PreparedEntities:
    connection = connector.connection(mapping.connection)
    et = connector.entity_type(mapping.entity_type)
    wanted = mapped_columns(mapping, associations)
    use_command = incremental and connection.command_column is not None
    if use_command:
        assert connection.command_column is not None
        wanted.append((connection.command_column, "command column"))
    require_columns(table, wanted)
    key_prop = et.find_property(mapping.key)
    assert key_prop is not None
    key_column = _column_for(mapping, key_prop.identifier)
    frame = table.frame
    set_aside: list[SetAsideRow] = []
    held: set[str] = set()
    warnings = list(table.warnings)
    cid = connection.identifier

    unkeyed: list[int] = []
    for rej in table.rejected:
        key = _trusted_key(rej.values.get(key_column), rej.cut_column == key_column)
        if key is None:
            unkeyed.append(rej.line)
        else:
            held.add(key)  # the person is in the file: keep what is stored
        set_aside.append(SetAsideRow(cid, rej.line, key, "ragged", rej.reason,
                                     dict(rej.values)))

    empty = frame.filter(pl.col(key_column).is_null())
    for row in empty.iter_rows(named=True):
        set_aside.append(SetAsideRow(cid, row[LINE], None, "empty_key",
                                     f"empty mapping key `{key_column}`", _raw(row)))
    frame = frame.filter(pl.col(key_column).is_not_null())

    # Typed parsing: one expression per property, evaluated together.
    props = [(et.find_property(p), col) for p, col in mapping.columns.items()]
    parsed_exprs: list[pl.Expr] = []
    invalid_exprs: list[pl.Expr] = []
    expected: dict[str, str] = {}
    order = [p.identifier for p in et.scalar_properties if p.identifier in
             {q.identifier for q, _ in props if q is not None}]
    by_name = {p.identifier: (p, col) for p, col in props if p is not None}
    for name in order:
        prop, col = by_name[name]
        parsed = parse_column_of(frame, col, prop, connection)
        parsed_exprs.append(parsed.value.alias(f"v:{name}"))
        invalid_exprs.append(parsed.invalid.alias(f"bad:{name}"))
        expected[name] = parsed.expected
    work = frame.lazy().with_columns(*parsed_exprs, *invalid_exprs).collect(engine=frames.ENGINE)
    bad_cols = [f"bad:{n}" for n in order]
    any_bad = pl.any_horizontal(bad_cols) if bad_cols else pl.lit(False)
    if use_command:
        assert connection.command_column is not None
        cmd = pl.col(connection.command_column).str.strip_chars().str.to_lowercase()
        work = work.with_columns(cmd.alias(COMMAND))
        bad_cmd = work.filter(~pl.col(COMMAND).is_in(COMMANDS) | pl.col(COMMAND).is_null())
        for row in bad_cmd.iter_rows(named=True):
            set_aside.append(SetAsideRow(
                cid, row[LINE], row[key_column], "invalid",
                f"command `{row[connection.command_column]}` in column "
                f"`{connection.command_column}` is not one of {', '.join(COMMANDS)}",
                _raw(row, table.header)))
            held.add(row[key_column])
        work = work.filter(pl.col(COMMAND).is_in(COMMANDS))
    invalid = work.filter(any_bad)
    for row in invalid.iter_rows(named=True):
        reasons = [
            f"column `{by_name[n][1]}`: `{row[by_name[n][1]]}` is not {expected[n]}"
            for n in order if row[f"bad:{n}"]
        ]
        set_aside.append(SetAsideRow(cid, row[LINE], row[key_column], "invalid",
                                     "; ".join(reasons), _raw(row, table.header)))
        held.add(row[key_column])
    work = work.filter(~any_bad)

    nav_names = [a.navigation for a in associations if a.column]
    nav_exprs = [_nav_expr(a, connection, _is_multivalued(connector, a.navigation))
                 for a in associations if a.column]
    data_expr = (pl.struct([pl.col(f"v:{n}").alias(n) for n in order]).struct.json_encode()
                 if order else pl.lit("{}"))
    rows = work.lazy().select(
        pl.col(key_column).alias(KEY),
        pl.col(LINE),
        data_expr.alias(DATA),
        *nav_exprs,
        *([pl.col(COMMAND)] if use_command else []),
    )
    out = _with_hash(rows, [DATA, *(nav_column(n) for n in nav_names)]).sort(
        KEY, maintain_order=True).collect(engine=frames.ENGINE)

    # Duplicate keys: identical rows collapse with a warning, conflicting ones are set aside.
    # Sorted, a repeated key is next to itself: one comparison of neighbours tells whether
    # there is any (is_duplicated hashed a million keys, 0.2-0.5 s).
    keys = out.get_column(KEY)
    if out.height > 1 and (keys.slice(1) == keys.slice(0, out.height - 1)).any():
        counts = out.filter(pl.col(KEY).is_duplicated()).group_by(KEY, maintain_order=True).agg(
            pl.len().alias("n"), pl.col(HASH).n_unique().alias("h"),
            pl.col(LINE).sort().alias("lines"))
        dups = counts.filter(pl.col("n") > 1)
        conflicting = dups.filter(pl.col("h") > 1)
        identical = dups.filter(pl.col("h") == 1)
        for key, lines in identical.select(KEY, "lines").iter_rows():
            warnings.append(f"{cid}: key `{key}` appears on lines "
                            f"{', '.join(map(str, lines))} with identical values: kept once")
        bad_keys = set(conflicting[KEY].to_list())
        if bad_keys:
            source_rows = frame.filter(pl.col(key_column).is_in(list(bad_keys)))
            line_map = dict(conflicting.select(KEY, "lines").iter_rows())
            for row in source_rows.sort(LINE).iter_rows(named=True):
                key = row[key_column]
                set_aside.append(SetAsideRow(
                    cid, row[LINE], key, "duplicate",
                    f"key `{key}` appears on lines {', '.join(map(str, line_map[key]))} "
                    "with different values", _raw(row, table.header)))
            held |= bad_keys
            out = out.filter(~pl.col(KEY).is_in(list(bad_keys)))
        out = out.sort(LINE).unique(KEY, keep="first", maintain_order=True)
    if held:
        out = out.filter(~pl.col(KEY).is_in(list(held)))
    return PreparedEntities(
        entity_type=et.identifier, connection=cid, frame=out.sort(KEY), navigations=nav_names,
        held_keys=held, set_aside=set_aside, warnings=warnings, unkeyed_lines=unkeyed,
    )


def prepare_association(table: SourceTable, connector: Connector,
                        assoc: AssociationMapping) -> PreparedAssociation:
    assert assoc.source_column
    assert assoc.target_column
    require_columns(table, [(assoc.source_column, assoc.navigation),
                            (assoc.target_column, assoc.navigation)])
    connection = connector.connection(assoc.connection)
    cid = connection.identifier
    frame = table.frame
    set_aside: list[SetAsideRow] = []
    unkeyed: list[int] = []
    for r in table.rejected:
        key = _trusted_key(r.values.get(assoc.source_column), r.cut_column == assoc.source_column)
        if key is None:
            unkeyed.append(r.line)
        set_aside.append(SetAsideRow(cid, r.line, key, "ragged", r.reason, dict(r.values)))
    empty = frame.filter(pl.col(assoc.source_column).is_null()
                         | pl.col(assoc.target_column).is_null())
    for row in empty.iter_rows(named=True):
        set_aside.append(SetAsideRow(cid, row[LINE], row[assoc.source_column],
                                     "empty_key", "empty source or target key", _raw(row)))
    pairs = frame.filter(pl.col(assoc.source_column).is_not_null()
                         & pl.col(assoc.target_column).is_not_null()).select(
        pl.col(assoc.source_column).alias(KEY), pl.col(assoc.target_column).alias(TARGET),
        pl.col(LINE))
    before = pairs.height
    pairs = pairs.sort(LINE).unique([KEY, TARGET], keep="first", maintain_order=True)
    warnings = list(table.warnings)
    if pairs.height < before:
        warnings.append(f"{cid}: {before - pairs.height} repeated pairs kept once")
    held = {r.key for r in set_aside if r.key}
    if not _is_multivalued(connector, assoc.navigation):
        # A mono-valued navigation given several targets: never pick one silently.
        several = pairs.group_by(KEY, maintain_order=True).agg(
            pl.col(LINE).sort().alias("lines"), pl.len().alias("n")).filter(pl.col("n") > 1)
        for key, lines in several.select(KEY, "lines").iter_rows():
            set_aside += [SetAsideRow(cid, line, key, "duplicate",
                                      f"`{assoc.navigation}` holds one target, and `{key}` "
                                      f"has several (lines {', '.join(map(str, lines))})", {})
                          for line in lines]
            held.add(key)
    source_type = assoc.navigation.partition(".")[0]
    return PreparedAssociation(assoc.navigation, source_type, cid, pairs.sort(KEY, TARGET),
                               set_aside, warnings, held, unkeyed)


def _trusted_key(value: str | None, cut: bool) -> str | None:
    """The key of a ragged row, unless a quote left open swallowed the next lines into it or
    the line was cut short in it: no key to trust then."""
    if not value or cut or "\n" in value or "\r" in value:
        return None
    return value


def _column_for(mapping: EntityTypeMapping, prop: str) -> str:
    for name, column in mapping.columns.items():
        if name.lower() == prop.lower():
            return column
    raise KeyError(prop)


def _is_multivalued(connector: Connector, navigation: str) -> bool:
    et_name, _, nav_name = navigation.partition(".")
    prop = connector.entity_type(et_name).find_property(nav_name)
    return bool(prop and prop.multivalued)


def _nav_expr(assoc: AssociationMapping, connection: AnyConnection, multivalued: bool
              ) -> pl.Expr:
    assert assoc.column
    col = pl.col(assoc.column)
    if multivalued and connection.multivalue_separator:
        trimmed = pl.element().str.strip_chars()
        # The blank test on the trimmed value: `a; ;b` names two targets, not an empty third.
        keys = col.str.split(connection.multivalue_separator).list.eval(
            trimmed.filter(trimmed != "")).list.unique().list.sort()
    else:
        keys = pl.when(col.is_not_null()).then(pl.concat_list(col)).otherwise(
            pl.lit([], dtype=pl.List(pl.String)))
    return keys.fill_null(pl.lit([], dtype=pl.List(pl.String))).alias(nav_column(assoc.navigation))


def text_hashes(texts: pl.Series) -> pl.Series:
    """The stable hash of each text (what a resource's `hash` holds), for writers other than
    prepare."""
    frame = pl.DataFrame({TEXT: texts})
    return frame.select(plh.col(TEXT).nchash.xxhash64().reinterpret(signed=True)).to_series()


def _with_hash(frame: pl.LazyFrame, columns: list[str]) -> pl.LazyFrame:
    # A stable hash (XXH64 over a canonical text, from polars-hash), not polars' own `hash`,
    # which may change between versions: stored hashes must stay comparable across upgrades.
    parts = [pl.col(c) if not c.startswith("nav:") else pl.col(c).list.join("\x1f")
             for c in columns]
    text = pl.concat_str(parts, separator="\x1e").alias(TEXT)
    return frame.with_columns(text).with_columns(
        plh.col(TEXT).nchash.xxhash64().reinterpret(signed=True).alias(HASH)).drop(TEXT)


def _raw(row: dict[str, object], header: list[str] | None = None) -> dict[str, str | None]:
    names = header if header is not None else [k for k in row if not k.startswith("__")]
    return {k: (None if row.get(k) is None else str(row.get(k))) for k in names
            if not k.startswith(("v:", "bad:", "__"))}

