"""The columns a run will ask of each file, checked against the files' headers before any run
(`headcount check`, `reload`): what prepare would refuse is refused first, at the line of the
configuration that names the column, with the closest column of the header."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from headcount.config.model import Concatenate, Connection, Connector, Project, RowFilter
from headcount.config.validation import Problem, suggest
from headcount.config.yamlsource import PathKey
from headcount.connections.csvfile import header_only, resolve_path
from headcount.errors import HeadcountError

# (configuration path naming the column, the column, what it is for)
Wanted = tuple[PathKey, str, str]


@dataclass
class HeaderCheck:
    """A check of a loaded configuration (config.loader.ProjectCheck). A mapped file that is
    absent is a problem, unless `allow_missing`: then it is listed in `unchecked`."""

    folder: Path
    allow_missing: bool = False
    unchecked: list[str] = field(default_factory=list)

    def __call__(self, project: Project) -> Iterator[Problem]:
        for ci, connector in enumerate(project.connectors):
            for i, connection in enumerate(connector.connections):
                if not isinstance(connection, Connection):
                    continue  # a directory's attributes are no header to check beforehand
                base: PathKey = ("connectors", ci, "connections", i)
                for setting, incremental in (("path", False), ("path_incremental", True)):
                    pattern = getattr(connection, setting)
                    wanted = _wanted(connector, ci, connection, base, incremental)
                    if pattern is None or not wanted:
                        continue
                    yield from self._file(connection, (*base, setting), pattern, wanted)

    def _file(self, connection: Connection, key: PathKey, pattern: str, wanted: list[Wanted]
              ) -> Iterator[Problem]:
        try:
            path = resolve_path(self.folder, pattern, connection.path_is_regex,
                                connection.path_date_format, connection.path_date_group)
        except HeadcountError as exc:
            if self.allow_missing:
                self.unchecked.append(f"{connection.identifier}: {exc}")
            else:
                yield key, (f"{exc}: its columns cannot be checked (--allow-missing-files "
                            "when the files arrive later)")
            return
        try:
            header = header_only(path, connection)
        except (HeadcountError, OSError, UnicodeError, csv.Error) as exc:
            yield key, f"the header of {path.name} cannot be read: {exc}"
            return
        available = list(header)
        for transformation_key, column, use in _transformed(connection, key[:-1]):
            if use == "into":
                available.append(column)
            elif column not in available:
                yield transformation_key, _missing(column, use, path, available)
        for where, column, use in wanted:
            if column not in available:
                yield where, _missing(column, use, path, available)


def _missing(column: str, use: str, path: Path, header: list[str]) -> str:
    return (f"column `{column}` ({use}) is not in the header of {path.name}"
            f"{suggest(column, header)} (header: {', '.join(header) or 'empty'})")


def _transformed(connection: Connection, base: PathKey) -> Iterator[Wanted]:
    """The columns the transformations read, in order, and those they add (`into`)."""
    for ti, step in enumerate(connection.transformations):
        key: PathKey = (*base, "transformations", ti)
        if isinstance(step, RowFilter):
            yield (*key, "column"), step.column, f"transformation {step.type}"
            continue
        for n, column in enumerate(step.columns):
            yield (*key, "columns", n), column, f"transformation {step.type}"
        if isinstance(step, Concatenate):
            yield (*key, "into"), step.into, "into"


def _wanted(connector: Connector, ci: int, connection: Connection, base: PathKey,
            incremental: bool) -> list[Wanted]:
    """The columns a run reads from this connection's file, as prepare asks for them."""
    cid = connection.identifier.lower()
    out: list[Wanted] = []
    for mi, mapping in enumerate(connector.mappings):
        if mapping.connection.lower() != cid:
            continue
        for prop, column in mapping.columns.items():
            out.append((("connectors", ci, "mappings", mi, "columns", prop), column,
                        f"{mapping.entity_type}.{prop}"))
    for ai, assoc in enumerate(connector.associations):
        if assoc.connection.lower() != cid:
            continue
        for name in ("column", "source_column", "target_column"):
            column = getattr(assoc, name)
            if column:
                out.append((("connectors", ci, "associations", ai, name), column,
                            assoc.navigation))
    if out and incremental and connection.command_column:
        out.append(((*base, "command_column"), connection.command_column, "command column"))
    return out
