"""Reading and preparing the files of a connector for a run: export (with transformations) and
prepare, gathering what the job result shows about each file."""

from __future__ import annotations

from pathlib import Path

from headcount.config.model import Connector, Project
from headcount.connections.csvfile import read_csv, resolve_path
from headcount.connections.reader import SourceTable
from headcount.connections.transform import apply_transformations
from headcount.errors import SourceError
from headcount.jobs.work import RunWork
from headcount.sync.prepare import prepare_association, prepare_entities
from headcount.sync.prepared import PreparedAssociation, PreparedEntities
from headcount.sync.shapes import profile


def export_files(project_dir: Path, connector: Connector, incremental: bool, work: RunWork
            ) -> dict[str, SourceTable]:
    used = {m.connection.lower() for m in connector.mappings} | {
        a.connection.lower() for a in connector.associations}
    tables: dict[str, SourceTable] = {}
    for connection in connector.connections:
        if connection.identifier.lower() not in used:
            continue
        pattern = (connection.path_incremental or connection.path) if incremental \
            else connection.path
        if pattern is None:
            if connection.identifier.lower() in {a.connection.lower() for a in
                                                 connector.associations if a.source_column}:
                continue
            raise SourceError(f"connection {connection.identifier} has no `path` for "
                              f"{'incremental' if incremental else 'complete'} runs")
        path = resolve_path(project_dir, pattern, connection.path_is_regex,
                            connection.path_date_format, connection.path_date_group)
        table = apply_transformations(read_csv(path, connection), connection)
        tables[connection.identifier] = table
        info = table.file.as_dict()
        info["header"] = table.header
        info["shapes"] = profile(table.frame, sorted(columns_read_from(connector,
                                                                     connection.identifier)))
        info["rows"] = table.frame.height + len(table.rejected)
        work.files.append(info)
        work.log("info", f"read {path.name}: {info['rows']:,} rows, {table.file.size:,} bytes, "
                 f"{table.file.encoding}, sha256 {table.file.checksum[:12]}…")
        for w in table.warnings:
            work.log("warning", f"{path.name}: {w}")
    return tables


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
    files = {cid: table.file.path.name for cid, table in tables.items()}
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
