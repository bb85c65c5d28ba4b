"""Roll-back of a loaded upload (SPEC §9): a compensating run of the upload connector, through
the same engine (thresholds, history, job result), built from the changes the load applied —
what it inserted is deleted, what it deleted comes back with its values and links, what it
changed takes its value before. Refused, naming each, for a value changed since by another run
or a person: undoing the load must never undo their work."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl
import sqlalchemy as sa

from headcount.config.model import EntityType
from headcount.connections.reader import LINE
from headcount.errors import RunRefused
from headcount.jobs.blocked import staged_changes
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository.provenance import last_changes
from headcount.repository.runs import RunRecord
from headcount.repository.schema import links, resources
from headcount.sync.changes import ChangeSet
from headcount.upload.columns import COMMAND, MULTIVALUE_SEPARATOR, label, upload_connector
from headcount.upload.source import Sent, upload_source
from headcount.upload.verified import TabData


class RollbackRefused(RunRefused):
    """The load cannot be undone as a whole: values it set were changed since."""


@dataclass
class _Undo:
    """What undoing the load does to one resource."""

    command: str  # insert (it was deleted), update (it was changed), delete (it was added)
    line: int
    data: dict[str, object] = field(default_factory=dict)
    links: dict[str, set[str]] = field(default_factory=dict)


def compensating_run(ctx: ProjectContext, sent: Sent, load_run: int, actor: str, reason: str,
                     now: datetime | None = None) -> RunRecord:
    """Run the compensation of `load_run`; RollbackRefused, naming every value changed since."""
    _, project = ctx.deployed()
    connector = upload_connector(project)
    types = {et.identifier: et for et in connector.entity_types}
    with ctx.engine.connect() as conn:
        applied = staged_changes(conn, load_run)
        undo = _undo(conn, applied, types, load_run)
    tabs = [_tab(types[et], rows) for et, rows in sorted(undo.items()) if rows]
    if not tabs:
        raise RunRefused(f"upload {sent.upload_id}: its load (run {load_run}) changed nothing, "
                         "there is nothing to roll back")
    said = f"roll back of upload {sent.upload_id} by {actor}: {reason}"
    source = upload_source(project, tabs, "update", Sent(sent.upload_id, sent.file_name,
                                                         sent.size, sent.sha256, actor),
                           rollback=True)
    return synchronize(ctx, SyncRequest(connector.identifier, "incremental", reason=said,
                                        actor=actor, now=now, source=source))


def _undo(conn: sa.Connection, applied: ChangeSet, types: dict[str, EntityType], load_run: int
          ) -> dict[str, dict[str, _Undo]]:
    res = applied.resources.filter(pl.col("entity_type").is_in(list(types))
                                   & (pl.col("kind") != "rehash"))
    lnk = applied.links.filter(pl.col("entity_type").is_in(list(types)))
    out: dict[str, dict[str, _Undo]] = {et: {} for et in types}
    touched: dict[tuple[str, str], set[str]] = {}
    line = 0
    for kind, et, key, data in res.select("kind", "entity_type", "key", "data").iter_rows():
        line += 1
        if kind == "insert":
            out[et][key] = _Undo("delete", line)
            touched[(et, key)] = {"*"}
        elif kind == "delete":
            out[et][key] = _Undo("insert", line, json.loads(data or "{}"))
            touched[(et, key)] = set()
        elif kind == "update":
            before = {p: old for p, (old, _) in json.loads(data or "{}").items()}
            out[et][key] = _Undo("update", line, before)
            touched.setdefault((et, key), set()).update(before)
    for kind, et, key, nav, target in lnk.select("kind", "entity_type", "key", "navigation",
                                                 "target_key").iter_rows():
        name = nav.partition(".")[2]
        entry = out[et].get(key)
        if entry is not None and entry.command == "delete":
            continue  # the links of an added resource go with it
        if entry is None:
            line += 1
            entry = out[et][key] = _Undo("update", line)
        # The link as it was: an added link removed, a removed one back.
        entry.links.setdefault(name, set())
        entry.links.setdefault(f"-{name}", set())
        entry.links[name if kind == "link_delete" else f"-{name}"].add(target)
        if entry.command == "update":
            touched.setdefault((et, key), set()).add(name)
    _refuse_changed_since(conn, types, out, touched, load_run)
    _complete(conn, types, out)
    return out


def _refuse_changed_since(conn: sa.Connection, types: dict[str, EntityType],
                          out: dict[str, dict[str, _Undo]],
                          touched: dict[tuple[str, str], set[str]], load_run: int) -> None:
    last = last_changes(conn, touched)
    present = _present(conn, list(touched))
    problems: list[str] = []
    for (et, key), props in sorted(touched.items()):
        name = f"{types[et].display_name or et} {key}"
        entry = out[et][key]
        if entry.command == "insert":
            if (et, key) in present:
                problems.append(f"{name} was added again since")
            continue
        if (et, key) not in present:
            problems.append(f"{name} was deleted since")
            continue
        for prop, origin in sorted(last.get((et, key), {}).items()):
            if origin.run_id == load_run or ("*" not in props and prop not in props):
                continue
            found = types[et].find_property(prop)
            problems.append(f"{name}: {label(found) if found else prop} was changed since by "
                            f"run {origin.run_id} ({origin.where()})")
    if problems:
        shown = "; ".join(problems[:10]) + (f"; … {len(problems) - 10:,} more"
                                            if len(problems) > 10 else "")
        raise RollbackRefused(f"the load (run {load_run}) cannot be rolled back: {shown}")


def _present(conn: sa.Connection, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for et in sorted({et for et, _ in keys}):
        wanted = [k for e, k in keys if e == et]
        for start in range(0, len(wanted), 500):
            found |= {(et, str(k)) for k in conn.execute(
                sa.select(resources.c.key).where(resources.c.entity_type == et,
                                                 resources.c.key.in_(wanted[start:start + 500]))
            ).scalars()}
    return found


def _complete(conn: sa.Connection, types: dict[str, EntityType],
              out: dict[str, dict[str, _Undo]]) -> None:
    """A changed resource's row carries its whole state before the load: what is stored now
    with the load's changes undone (the engine replaces every mapped value)."""
    for et, entries in out.items():
        kept = [k for k, e in entries.items() if e.command == "update"]
        for start in range(0, len(kept), 500):
            chunk = kept[start:start + 500]
            ids: dict[int, str] = {}
            for rid, key, data in conn.execute(
                    sa.select(resources.c.id, resources.c.key, resources.c.data)
                    .where(resources.c.entity_type == et, resources.c.key.in_(chunk))):
                ids[int(rid)] = key
                entry = entries[key]
                entry.data = json.loads(data) | entry.data
            now: dict[str, dict[str, set[str]]] = {}
            for source, nav, target in conn.execute(
                    sa.select(links.c.source_id, links.c.navigation, links.c.target_key)
                    .where(links.c.source_id.in_(list(ids)))):
                now.setdefault(ids[int(source)], {}).setdefault(
                    nav.partition(".")[2], set()).add(target)
            for key in chunk:
                entry = entries[key]
                stored = now.get(key, {})
                for prop in types[et].properties:
                    if not prop.is_navigation:
                        continue
                    name = prop.identifier
                    entry.links[name] = (stored.get(name, set()) - entry.links.get(f"-{name}",
                                                                                   set())) \
                        | entry.links.get(name, set())
        for entry in entries.values():
            for name in [n for n in entry.links if n.startswith("-")]:
                del entry.links[name]


def _tab(et: EntityType, rows: dict[str, _Undo]) -> TabData:
    """The compensation of one entity type as a mass update's tab."""
    key_prop = et.keys[0] if et.keys else et.scalar_properties[0].identifier
    records: list[dict[str, object]] = []
    for key, entry in rows.items():
        row: dict[str, object] = {LINE: entry.line, COMMAND: entry.command}
        for prop in et.properties:
            if prop.is_navigation:
                targets = sorted(entry.links.get(prop.identifier, set()))
                row[prop.identifier] = MULTIVALUE_SEPARATOR.join(targets) if targets else None
            else:
                row[prop.identifier] = _text(entry.data.get(prop.identifier))
        row[key_prop] = key
        records.append(row)
    schema: dict[str, pl.DataType] = {LINE: pl.Int64(), COMMAND: pl.String()}
    schema |= {p.identifier: pl.String() for p in et.properties}
    frame = pl.DataFrame(records, schema=schema)
    return TabData(et.display_name or et.identifier, et, {}, frame, frame.height)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

