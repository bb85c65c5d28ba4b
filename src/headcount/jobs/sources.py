"""Reading and preparing the sources of a connector for a run: export (files with their
transformations, directory servers) and prepare, gathering what the job result shows about each
file or search."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from headcount.config.directory import AdCsvConnection, LdapConnection, LdifConnection
from headcount.config.model import Connection, Connector, Project
from headcount.config.pushed import COMMAND_COLUMN, PushedConnection
from headcount.connections.adcsv import read_adcsv
from headcount.connections.csvfile import read_csv, resolve_path
from headcount.connections.ldap import LdapRead, read_ldap
from headcount.connections.ldif import read_ldif
from headcount.connections.reader import SourceFile, SourceTable
from headcount.connections.transform import apply_transformations
from headcount.errors import SourceError
from headcount.jobs.work import RunWork
from headcount.repository import pushed
from headcount.repository.runs import SUCCEEDED, WARNINGS
from headcount.repository.schema import runs as runs_table
from headcount.sync.prepare import prepare_association, prepare_entities
from headcount.sync.prepared import PreparedAssociation, PreparedEntities
from headcount.sync.shapes import profile

AnyFileConnection = Connection | LdifConnection | AdCsvConnection


@dataclass(frozen=True)
class GivenSource:
    """Tables read by a stage above the engine (an uploaded workbook's tabs), keyed by the
    connection of `connector` that maps each: a run reads them instead of exporting files.
    `files` adds to each table's entry of the job result's files (what provenance names)."""

    connector: Connector
    tables: dict[str, SourceTable]
    files: dict[str, dict[str, object]] = field(default_factory=dict)
    # Who read them, for the job result's log ("delivery 4 by agent paris on host1 (token 3)").
    origin: str | None = None
    # The connector's own files, read elsewhere (a remote agent's delivery): the file-shape
    # guards compare them with the last accepted ones, as when the server reads them.
    own_files: bool = False


def export_files(project_dir: Path, connector: Connector, incremental: bool, work: RunWork,
                 marks: Mapping[str, str] | None = None, engine: sa.Engine | None = None
                 ) -> dict[str, SourceTable]:
    """Read each connection the mappings use. `marks`: the high-water mark of each LDAP
    connection after the last applied run, from which an incremental run reads; `engine`: where
    pushed records wait."""
    used = {m.connection.lower() for m in connector.mappings} | {
        a.connection.lower() for a in connector.associations}
    tables: dict[str, SourceTable] = {}
    for connection in connector.connections:
        if connection.identifier.lower() not in used:
            continue
        info: dict[str, Any] = {}
        if isinstance(connection, LdapConnection):
            read = _search(project_dir, connection, incremental, work, marks or {})
            table = read.table
            info["high_water"] = read.high_water
        elif isinstance(connection, PushedConnection):
            assert engine is not None, "pushed records are read from the repository"
            table, info = _pushed(engine, connector, connection, incremental)
        else:
            found = _file_of(project_dir, connector, connection, incremental)
            if found is None:
                continue
            table = _read_file(found, connection)
        tables[connection.identifier] = table
        info |= table.file.as_dict()
        info["header"] = table.header
        if not (incremental and isinstance(connection, PushedConnection)):
            # The file-shape guards' basis, kept by complete runs: pushed records are read
            # by the thousand between them, and their shapes would be computed for nothing.
            info["shapes"] = profile(table.frame, sorted(columns_read_from(
                connector, connection.identifier)))
        info["rows"] = table.frame.height + len(table.rejected)
        work.files.append(info)
        if isinstance(connection, PushedConnection):
            work.log("info", f"read {info['rows']:,} pushed records of "
                     f"{len(info['pushed']):,} requests ({info['pushed_by']})")
        elif isinstance(connection, LdapConnection):
            work.log("info", f"read {table.file.name}: {info['rows']:,} entries, "
                     f"sha256 {table.file.checksum[:12]}…")
        else:
            work.log("info", f"read {table.file.name}: {info['rows']:,} rows, "
                     f"{table.file.size:,} bytes, {table.file.encoding}, "
                     f"sha256 {table.file.checksum[:12]}…")
        for w in table.warnings:
            work.log("warning", f"{table.file.name}: {w}")
    return tables


def given_files(given: GivenSource, work: RunWork) -> dict[str, SourceTable]:
    """The given tables, each listed in the job result as an exported file is."""
    if given.origin:
        work.log("info", f"tables read by {given.origin}")
    for cid, table in given.tables.items():
        info: dict[str, Any] = table.file.as_dict()
        info["header"] = table.header
        info["rows"] = table.frame.height + len(table.rejected)
        if given.own_files:
            info["shapes"] = profile(table.frame, sorted(columns_read_from(given.connector,
                                                                         cid)))
        info |= given.files.get(cid, {})
        work.files.append(info)
        work.log("info", f"read {table.file.name} ({cid}): {info['rows']:,} rows, "
                 f"sha256 {table.file.checksum[:12]}…")
    return dict(given.tables)


def _pushed(engine: sa.Engine, connector: Connector, connection: PushedConnection,
            incremental: bool) -> tuple[SourceTable, dict[str, Any]]:
    """The records waiting at the run's start as the connection's table; each row's line is
    its operation's id, and the job result names the requests and tokens (provenance)."""
    columns = [*connection.attributes, COMMAND_COLUMN]
    with engine.connect() as conn:
        found = pushed.pending(conn, connector.identifier, not incremental,
                               [et.identifier for et in connector.entity_types], columns)
    frame = found.frame.with_columns(pl.col(COMMAND_COLUMN).fill_null("merge"))
    if not incremental:
        # A complete run's population holds no deleted user: it leaves by being absent.
        frame = frame.filter(pl.col(COMMAND_COLUMN) != "delete")
    source = SourceFile(connection.identifier, "pushed records", 0, found.digest, frame.height,
                        "json")
    by = sorted({str(span[3]) for span in found.requests})
    info: dict[str, Any] = {"pushed": [list(span) for span in found.requests],
                            "snapshot": found.snapshot, "pushed_by": ", ".join(by) or "nobody"}
    return SourceTable(source, columns, frame), info


def _file_of(project_dir: Path, connector: Connector, connection: AnyFileConnection,
             incremental: bool) -> Path | None:
    pattern = (connection.path_incremental or connection.path) if incremental \
        else connection.path
    if pattern is None:
        if connection.identifier.lower() in {a.connection.lower() for a in
                                             connector.associations if a.source_column}:
            return None
        raise SourceError(f"connection {connection.identifier} has no `path` for "
                          f"{'incremental' if incremental else 'complete'} runs")
    return resolve_path(project_dir, pattern, connection.path_is_regex,
                        connection.path_date_format, connection.path_date_group)


def _read_file(path: Path, connection: AnyFileConnection) -> SourceTable:
    if isinstance(connection, LdifConnection):
        return read_ldif(path, connection)
    if isinstance(connection, AdCsvConnection):
        return read_adcsv(path, connection)
    return apply_transformations(read_csv(path, connection), connection)


def _search(project_dir: Path, connection: LdapConnection, incremental: bool, work: RunWork,
            marks: Mapping[str, str]) -> LdapRead:
    since: str | None = None
    if incremental:
        if connection.incremental_by is None:
            raise SourceError(f"connection {connection.identifier} cannot read changes only: "
                              "set `incremental_by` (modifyTimestamp or uSNChanged), or run a "
                              "complete synchronization")
        since = marks.get(connection.identifier)
        if since is None:
            work.log("info", f"{connection.identifier}: no high-water mark yet (no applied run "
                     "has read it): every entry is read")
    return read_ldap(connection, project_dir, since)


def prepare_files(connector: Connector, tables: dict[str, SourceTable], incremental: bool,
             work: RunWork) -> tuple[list[PreparedEntities], list[PreparedAssociation]]:
    entities: list[PreparedEntities] = []
    for mapping in connector.mappings:
        table = tables[connector.connection(mapping.connection).identifier]
        et = connector.entity_type(mapping.entity_type).identifier
        same_file = [a for a in connector.associations if a.column
                     and a.connection.lower() == mapping.connection.lower()
                     and a.navigation.partition(".")[0].lower() == et.lower()]
        prep = prepare_entities(table, connector, mapping, same_file, incremental)
        entities.append(prep)
        work.set_aside += prep.set_aside
        for w in prep.warnings:
            work.log("warning", w)
    associations: list[PreparedAssociation] = []
    for assoc in connector.associations:
        if assoc.column:
            continue
        cid = connector.connection(assoc.connection).identifier
        if cid not in tables:
            continue
        prep_a = prepare_association(tables[cid], connector, assoc)
        associations.append(prep_a)
        work.set_aside += prep_a.set_aside
        for w in prep_a.warnings:
            work.log("warning", w)
    files = {cid: table.file.name for cid, table in tables.items()}
    for row in work.set_aside:
        where = files.get(row.connection, row.connection)
        where = f"{where} line {row.line}" if row.line else where
        work.log("warning", f"set aside ({row.category}) {where}: {row.reason}")
    return entities, associations


def columns_read_from(connector: Connector, cid: str) -> set[str]:
    cols: set[str] = set()
    for m in connector.mappings:
        if m.connection.lower() == cid.lower():
            cols |= set(m.columns.values())
    for a in connector.associations:
        if a.connection.lower() == cid.lower():
            cols |= {c for c in (a.column, a.source_column, a.target_column) if c}
    return cols


def navigation_targets(project: Project) -> dict[str, str]:
    """`EntityType.Navigation` → the identifier of its target entity type."""
    out: dict[str, str] = {}
    for connector in project.connectors:
        for et in connector.entity_types:
            for p in et.properties:
                if p.is_navigation and p.target:
                    target = project.entity_type(p.target)
                    assert target is not None
                    out[f"{et.identifier}.{p.identifier}"] = target[1].identifier
    return out


def high_water_marks(conn: sa.Connection, connector: str) -> dict[str, str]:
    """Connection → the high-water mark of its last search in an applied run: an incremental
    run reads what changed since. Kept in the job results (runs.files), no table of its own."""
    found = conn.execute(
        sa.select(runs_table.c.files).where(runs_table.c.connector == connector,
                                            runs_table.c.state.in_((SUCCEEDED, WARNINGS)),
                                            runs_table.c.dry_run.is_(False),
                                            # Not the job results of every run to decode, for
                                            # a connector searching no directory (pushed ones
                                            # run by the hundred).
                                            runs_table.c.files.contains('"high_water"'))
        .order_by(runs_table.c.id.desc()).limit(100)).scalars()
    marks: dict[str, str] = {}
    for files in found:
        for info in json.loads(files or "[]"):
            if info.get("high_water") is not None:
                marks.setdefault(str(info["connection"]), str(info["high_water"]))
    return marks
