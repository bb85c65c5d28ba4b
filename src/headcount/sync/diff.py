"""The diff (SPEC §4.1 step 3, §4.2): compare key by key what the file says with what the
repository holds and produce the change set. Stored resources keep a hash of their values, so
only rows whose hash differs are read back and compared property by property."""

from __future__ import annotations

import json
from typing import Protocol

import polars as pl

from headcount.sync.changes import LINK_SCHEMA, RESOURCE_SCHEMA, ChangeSet
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

OLD_HASH = "__old_hash"


class Snapshot(Protocol):
    """What the diff reads of the repository."""

    def hashes(self, entity_type: str, keys: list[str] | None = None) -> pl.DataFrame:
        """KEY and OLD_HASH of the stored resources of the entity type (all, or these keys)."""
        ...

    def records(self, entity_type: str, keys: list[str]) -> dict[str, str]:
        """key → stored data (JSON) for the given keys."""
        ...

    def links(self, navigation: str, keys: list[str] | None) -> pl.DataFrame:
        """KEY (source key) and TARGET of the stored links of a navigation; all when keys=None."""
        ...


def diff_entities(prep: PreparedEntities, snapshot: Snapshot, mode: str,
                  target_types: dict[str, str]) -> tuple[ChangeSet, list[str]]:
    """Changes for one entity type mapping. `mode` is initial, complete or incremental."""
    et, cid = prep.entity_type, prep.connection
    warnings: list[str] = []
    incoming = prep.frame
    if mode == "initial":
        return _inserts(incoming, et, cid, prep.navigations, target_types), warnings

    # An incremental file names the few keys to look at; a complete one needs them all.
    stored = snapshot.hashes(et, incoming[KEY].to_list() if mode == "incremental" else None)
    # Decide on the keys and hashes alone; the wide rows (values, links) are taken only for the
    # few keys that changed — filtering a million wide rows copies them.
    slim = [c for c in (KEY, HASH, LINE, COMMAND) if c in incoming.columns]
    joined = _joined(incoming.select(slim), stored)
    deletes_keys: list[str] = []
    if COMMAND in incoming.columns:
        cmd = pl.col(COMMAND)
        to_delete = joined.filter(cmd == "delete")
        missing = to_delete.filter(pl.col(OLD_HASH).is_null())
        for key, line in missing.select(KEY, LINE).iter_rows():
            warnings.append(f"{cid} line {line}: delete of unknown key `{key}` ignored")
        deletes_keys = to_delete.filter(pl.col(OLD_HASH).is_not_null())[KEY].to_list()
        upd_missing = joined.filter((cmd == "update") & pl.col(OLD_HASH).is_null())
        for key, line in upd_missing.select(KEY, LINE).iter_rows():
            warnings.append(f"{cid} line {line}: update of unknown key `{key}` ignored")
        ins_existing = joined.filter((cmd == "insert") & pl.col(OLD_HASH).is_not_null())
        for key, line in ins_existing.select(KEY, LINE).iter_rows():
            warnings.append(f"{cid} line {line}: insert of existing key `{key}` applied as update")
        upserts = joined.filter(cmd.is_in(["insert", "merge"])
                                | ((cmd == "update") & pl.col(OLD_HASH).is_not_null()))
    else:
        upserts = joined.filter(pl.col(HASH).is_not_null())
        if mode == "complete":
            gone = joined.filter(pl.col(HASH).is_null())
            if prep.held_keys:
                gone = gone.filter(~pl.col(KEY).is_in(list(prep.held_keys)))
            deletes_keys = gone[KEY].to_list()

    new_keys = upserts.filter(pl.col(OLD_HASH).is_null()).select(KEY)
    changed_keys = upserts.filter(pl.col(OLD_HASH).is_not_null()
                                  & (pl.col(HASH) != pl.col(OLD_HASH))).select(KEY)
    changes = _inserts(incoming.join(new_keys, on=KEY, how="semi"), et, cid, prep.navigations,
                       target_types)
    candidates = incoming.join(changed_keys, on=KEY, how="semi")
    if candidates.height:
        changes.extend(_updates(candidates, snapshot, et, cid, prep.navigations, target_types))
    if deletes_keys:
        changes.extend(_deletes(sorted(deletes_keys), snapshot, et, cid, prep.navigations,
                                target_types))
    return changes, warnings


def _joined(incoming: pl.DataFrame, stored: pl.DataFrame) -> pl.DataFrame:
    """The full join on KEY of the file's rows and the stored (KEY, OLD_HASH) pairs, each key
    once on either side. When both are sorted by key (prepare and the accepted snapshot leave
    them so), a merge by binary search: a hash join of a million keys each costs twice as much."""
    ours, theirs = incoming.get_column(KEY), stored.get_column(KEY)
    if not (ours.is_sorted() and theirs.is_sorted()) or stored.height == 0:
        return incoming.join(stored, on=KEY, how="full", coalesce=True)
    at = theirs.search_sorted(ours, side="left")
    found = (at < stored.height) & (theirs.gather(at.clip(upper_bound=stored.height - 1))
                                    == ours)
    at = at.filter(found)
    old = pl.repeat(None, incoming.height, dtype=pl.Int64, eager=True).alias(OLD_HASH).scatter(
        found.arg_true(), stored.get_column(OLD_HASH).gather(at))
    matched = pl.repeat(False, stored.height, eager=True).scatter(at, True)
    return pl.concat([incoming.with_columns(old), stored.filter(~matched)], how="diagonal")


def _inserts(rows: pl.DataFrame, et: str, cid: str, navigations: list[str],
             target_types: dict[str, str]) -> ChangeSet:
    resources = rows.select(
        pl.lit("insert").alias("kind"), pl.lit(et).alias("entity_type"), pl.col(KEY).alias("key"),
        pl.col(DATA).alias("data"), pl.lit(None, pl.String).alias("after"),
        pl.col(HASH).alias("hash"), pl.lit(cid).alias("connection"),
        pl.col(LINE).cast(pl.Int64).alias("line"),
    )
    link_frames = [
        rows.select(KEY, LINE, pl.col(nav_column(nav)).alias(TARGET)).explode(TARGET)
        .filter(pl.col(TARGET).is_not_null())
        .select(
            pl.lit("link_insert").alias("kind"), pl.lit(et).alias("entity_type"),
            pl.col(KEY).alias("key"), pl.lit(nav).alias("navigation"),
            pl.lit(target_types[nav]).alias("target_type"), pl.col(TARGET).alias("target_key"),
            pl.lit(cid).alias("connection"), pl.col(LINE).cast(pl.Int64).alias("line"),
        )
        for nav in navigations
    ]
    links = pl.concat(link_frames) if link_frames else pl.DataFrame(schema=LINK_SCHEMA)
    return ChangeSet(resources, links)


def _updates(rows: pl.DataFrame, snapshot: Snapshot, et: str, cid: str, navigations: list[str],
             target_types: dict[str, str]) -> ChangeSet:
    keys = rows[KEY].to_list()
    old = snapshot.records(et, keys)
    old_links = {nav: _grouped(snapshot.links(nav, keys)) for nav in navigations}
    res: list[dict[str, object]] = []
    lnk: list[dict[str, object]] = []
    for row in rows.iter_rows(named=True):
        key, line = row[KEY], row[LINE]
        before = json.loads(old[key])
        after = json.loads(row[DATA])
        changed = {p: [before.get(p), v] for p, v in after.items() if before.get(p) != v}
        changed.update({p: [v, None] for p, v in before.items() if p not in after
                        and v is not None})
        for nav in navigations:
            was = old_links[nav].get(key, set())
            now = set(row[nav_column(nav)] or [])
            for target in sorted(now - was):
                lnk.append(_link("link_insert", et, key, nav, target_types[nav], target, cid, line))
            for target in sorted(was - now):
                lnk.append(_link("link_delete", et, key, nav, target_types[nav], target, cid, line))
        res.append({
            "kind": "update" if changed else "rehash", "entity_type": et, "key": key,
            "data": json.dumps(changed, ensure_ascii=False), "after": row[DATA],
            "hash": row[HASH], "connection": cid, "line": line,
        })
    return ChangeSet(pl.DataFrame(res, schema=RESOURCE_SCHEMA),
                     pl.DataFrame(lnk, schema=LINK_SCHEMA))


def _deletes(keys: list[str], snapshot: Snapshot, et: str, cid: str, navigations: list[str],
             target_types: dict[str, str]) -> ChangeSet:
    old = snapshot.records(et, keys)
    res = [{"kind": "delete", "entity_type": et, "key": k, "data": old[k], "after": None,
            "hash": None, "connection": cid, "line": None} for k in keys]
    lnk: list[dict[str, object]] = []
    for nav in navigations:
        for key, targets in sorted(_grouped(snapshot.links(nav, keys)).items()):
            lnk += [_link("link_delete", et, key, nav, target_types[nav], t, cid, None)
                    for t in sorted(targets)]
    return ChangeSet(pl.DataFrame(res, schema=RESOURCE_SCHEMA),
                     pl.DataFrame(lnk, schema=LINK_SCHEMA))


def diff_association(prep: PreparedAssociation, snapshot: Snapshot, target_type: str,
                     pending: ChangeSet) -> tuple[ChangeSet, list[SetAsideRow]]:
    """An association file is the whole truth for its navigation. Pairs whose source is neither
    stored nor inserted by this run (`pending`) are set aside: they could never be applied."""
    et, nav, cid = prep.source_type, prep.navigation, prep.connection
    mine = pending.resources.filter(pl.col("entity_type") == et)
    known = pl.concat([
        snapshot.hashes(et).select(KEY),
        mine.filter(pl.col("kind") == "insert").select(pl.col("key").alias(KEY)),
    ]).join(mine.filter(pl.col("kind") == "delete").select(pl.col("key").alias(KEY)),
            on=KEY, how="anti")
    incoming = prep.frame
    unknown = incoming.join(known, on=KEY, how="anti")
    aside = [SetAsideRow(cid, line, key, "invalid",
                         f"unknown source key `{key}` of `{nav}` (no {et} has it)",
                         {"source": key, "target": target})
             for key, target, line in unknown.select(KEY, TARGET, LINE).iter_rows()]
    incoming = incoming.join(unknown.select(KEY), on=KEY, how="anti")
    stored = snapshot.links(nav, None)
    if prep.held_sources:
        held = pl.DataFrame({KEY: sorted(prep.held_sources)}, schema={KEY: pl.String})
        incoming = incoming.join(held, on=KEY, how="anti")
        stored = stored.join(held, on=KEY, how="anti")
    stored = stored.with_columns(pl.lit(True).alias("__was"))
    joined = incoming.with_columns(pl.lit(True).alias("__now")).join(
        stored, on=[KEY, TARGET], how="full", coalesce=True)
    added = joined.filter(pl.col("__was").is_null())
    removed = joined.filter(pl.col("__now").is_null())

    def frame(rows: pl.DataFrame, kind: str) -> pl.DataFrame:
        return rows.select(
            pl.lit(kind).alias("kind"), pl.lit(et).alias("entity_type"), pl.col(KEY).alias("key"),
            pl.lit(nav).alias("navigation"), pl.lit(target_type).alias("target_type"),
            pl.col(TARGET).alias("target_key"), pl.lit(cid).alias("connection"),
            pl.col(LINE).cast(pl.Int64).alias("line"),
        )

    changes = ChangeSet(links=pl.concat([frame(added, "link_insert"),
                                         frame(removed, "link_delete")]))
    return changes, aside


def _grouped(frame: pl.DataFrame) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for key, target in frame.select(KEY, TARGET).iter_rows():
        out.setdefault(key, set()).add(target)
    return out


def _link(kind: str, et: str, key: str, nav: str, target_type: str, target: str, cid: str,
          line: int | None) -> dict[str, object]:
    return {"kind": kind, "entity_type": et, "key": key, "navigation": nav,
            "target_type": target_type, "target_key": target, "connection": cid, "line": line}
