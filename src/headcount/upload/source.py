"""What a load hands to the engine (SPEC §9): the upload connector's model with a CSV connection,
a mapping and its associations per verified tab, and each tab's rows as the table of that
connection — so that an upload is a synchronization run of the connector like any other."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from headcount.config.model import (
    AssociationMapping,
    Connection,
    EntityTypeMapping,
    Project,
)
from headcount.connections.reader import LINE, SourceFile, SourceTable
from headcount.jobs.sources import GivenSource
from headcount.sync import prepared
from headcount.upload.columns import COMMAND, MULTIVALUE_SEPARATOR, upload_connector
from headcount.upload.verified import Mode, TabData

# The synthetic connection's command column: no property can be named so.
COMMAND_COLUMN = "__upload_command"
# How an upload's mode runs in the engine: a mass update is a file of commands.
ENGINE_MODE: dict[str, str] = {"initial": "initial", "complete": "complete",
                               "update": "incremental"}


@dataclass(frozen=True)
class Sent:
    """The uploaded file as the job result names it."""

    upload_id: int
    file_name: str
    size: int
    sha256: str
    uploaded_by: str


def connection_id(tab: TabData) -> str:
    """`Upload_Directory_UserRecord`: a valid identifier per entity type of the file."""
    return "Upload_" + re.sub(r"[^A-Za-z0-9_.-]", "_", tab.entity_type.identifier)


def upload_source(project: Project, tabs: Sequence[TabData], mode: Mode, sent: Sent,
                  rollback: bool = False) -> GivenSource:
    """The connector to run and its tables: only the file's tabs are mapped, so a complete load
    is the whole truth for them and leaves the other entity types alone. `rollback`: the
    tables undo the upload's load (its job result says so, not "upload N")."""
    base = upload_connector(project)
    command = mode == "update"
    connections: list[Connection] = []
    mappings: list[EntityTypeMapping] = []
    associations: list[AssociationMapping] = []
    tables: dict[str, SourceTable] = {}
    files: dict[str, dict[str, object]] = {}
    for tab in tabs:
        et = tab.entity_type
        cid = connection_id(tab)
        connections.append(Connection(
            identifier=cid, multivalue_separator=MULTIVALUE_SEPARATOR,
            command_column=COMMAND_COLUMN if command else None))
        key = et.keys[0] if et.keys else et.scalar_properties[0].identifier
        mappings.append(EntityTypeMapping(
            entity_type=et.identifier, connection=cid, key=key,
            columns={p.identifier: p.identifier for p in et.scalar_properties}))
        associations += [AssociationMapping(navigation=f"{et.identifier}.{p.identifier}",
                                            connection=cid, column=p.identifier)
                         for p in et.properties if p.is_navigation]
        frame = _table_frame(tab, command)
        header = [c for c in frame.columns if c != LINE]
        tables[cid] = SourceTable(
            SourceFile(cid, Path(sent.file_name), sent.size, sent.sha256, frame.height,
                       "xlsx"), header, frame)
        files[cid] = {"upload": sent.upload_id, "tab": tab.tab,
                      "uploaded_by": sent.uploaded_by, "sha256": sent.sha256}
        if rollback:
            files[cid]["rollback"] = True
    connector = base.model_copy(update={"connections": connections, "mappings": mappings,
                                        "associations": associations})
    return GivenSource(connector, tables, files)


def _table_frame(tab: TabData, command: bool) -> pl.DataFrame:
    """The tab's resolved rows as the text columns a CSV reader gives: one per property, the
    Excel row as the line, and the command of each row in a mass update."""
    frame = tab.frame
    given = _command_of(frame)
    columns: list[pl.Expr] = []
    for prop in tab.entity_type.properties:
        if prop.identifier in frame.columns:
            columns.append(pl.col(prop.identifier).cast(pl.String))
        else:
            columns.append(pl.lit(None, pl.String).alias(prop.identifier))
    if command:
        columns.append((pl.col(given) if given else pl.lit(None, pl.String))
                       .cast(pl.String).alias(COMMAND_COLUMN))
    columns.append(pl.col(LINE).cast(pl.Int64))
    return frame.select(columns)


def _command_of(frame: pl.DataFrame) -> str | None:
    for name in (COMMAND, prepared.COMMAND):
        if name in frame.columns:
            return name
    return None


def engine_mode(mode: Mode) -> str:
    return ENGINE_MODE[mode]
