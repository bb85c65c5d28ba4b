"""Uploads for the load tests: the sample project (tests/webproject.py) open, and verifications
built by hand — a tab from rows of property values, a Modify row from what is stored — since
these tests are about what a verified file does, not about verify."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from headcount.connections.reader import LINE, SourceFile
from headcount.project import ProjectContext
from headcount.repository.schema import links, resources
from headcount.upload.columns import COMMAND, MULTIVALUE_SEPARATOR
from headcount.upload.uploads import Upload, record
from headcount.upload.verified import COMMAND_OF, Mode, Problem, TabData, Verification
from headcount.upload.workbook import Workbook
from webproject import make_project

Row = Mapping[str, str | None]
FILE = "workforce.xlsx"


@contextmanager
def sample(folder: Path, url: str, synchronized: bool = True) -> Iterator[ProjectContext]:
    """The sample project (200 people), synchronized from HR unless told otherwise."""
    make_project(folder, url, people=200, synchronized=synchronized)
    ctx = ProjectContext.open(folder, url)
    try:
        yield ctx
    finally:
        ctx.close()


def tab(ctx: ProjectContext, entity_type: str, rows: Sequence[Row], name: str | None = None
        ) -> TabData:
    """A tab of `entity_type` whose rows (from Excel row 3) hold the given property values;
    `Command` (Add, Modify, Delete, Merge) as verify reads it."""
    _, project = ctx.deployed()
    found = project.entity_type(entity_type)
    assert found is not None
    et = found[1]
    records: list[dict[str, Any]] = []
    for line, row in enumerate(rows, start=3):
        values: dict[str, Any] = {LINE: line}
        if COMMAND in row:
            values[COMMAND] = COMMAND_OF[str(row[COMMAND]).lower()]
        values |= {p.identifier: row.get(p.identifier) for p in et.properties}
        records.append(values)
    schema: dict[str, Any] = {LINE: pl.Int64}
    if any(COMMAND in r for r in rows):
        schema[COMMAND] = pl.String
    schema |= {p.identifier: pl.String for p in et.properties}
    frame = pl.DataFrame(records, schema=schema)
    return TabData(name or et.display_name or et.identifier, et,
                   {p.identifier: p.identifier for p in et.properties}, frame, len(rows))


def stored(ctx: ProjectContext, entity_type: str, key: str) -> dict[str, str | None]:
    """What a Modify row of verify carries: the stored resource, navigations as keys."""
    with ctx.engine.connect() as conn:
        rid, data = conn.execute(sa.select(resources.c.id, resources.c.data).where(
            resources.c.entity_type == entity_type, resources.c.key == key)).one()
        targets: dict[str, list[str]] = {}
        for nav, target in conn.execute(sa.select(links.c.navigation, links.c.target_key)
                                        .where(links.c.source_id == rid)):
            targets.setdefault(nav.partition(".")[2], []).append(target)
    row: dict[str, str | None] = dict(json.loads(data))
    row |= {nav: MULTIVALUE_SEPARATOR.join(sorted(t)) for nav, t in targets.items()}
    return row


def verification(mode: Mode, *tabs: TabData, problems: Sequence[Problem] = ()) -> Verification:
    book = Workbook(SourceFile("upload", Path(FILE), 1, "0" * 64, 0, "xlsx"), ())
    return Verification(book, mode, tabs, tuple(problems))


def uploaded(ctx: ProjectContext, checked: Verification, actor: str = "alice",
             content: bytes = b"PK workbook") -> Upload:
    return record(ctx, content, FILE, actor, checked)


Links = set[tuple[str, str, str, str]]


def repository(ctx: ProjectContext) -> tuple[dict[tuple[str, str], Any], Links]:
    """Every resource's values and every link of the Directory: the state a roll-back must
    give back exactly."""
    with ctx.engine.connect() as conn:
        values = {(str(et), str(k)): json.loads(d) for et, k, d in conn.execute(
            sa.select(resources.c.entity_type, resources.c.key, resources.c.data)
            .where(resources.c.entity_type.like("Directory%")))}
        linked = {(str(et), str(k), str(n), str(t)) for et, k, n, t in conn.execute(
            sa.select(resources.c.entity_type, resources.c.key, links.c.navigation,
                      links.c.target_key).join(resources, resources.c.id == links.c.source_id)
            .where(resources.c.entity_type.like("Directory%")))}
    return values, linked
