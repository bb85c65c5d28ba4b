"""The Job Execution list (SPEC §12, issue 12): runs filtered by connector, state, who launched
them and the day they were created, with their total; and who launched each run.

Who launched a run is what the audit log recorded when a person launched it from the pages or
the API ("launch" / "evaluate", target `run 12 of HR`); a run of an upload names its sender; a
run with neither was launched from the command line."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from headcount.repository.runs import RunRecord
from headcount.repository.schema import audit_log, runs

LAUNCHES = ("launch", "evaluate")
_TARGET = re.compile(r"^run (\d+) of ")
# Bound parameters per query: SQLite's limit is 32,766.
_BATCH = 5000


@dataclass(frozen=True)
class RunFilter:
    connector: str | None = None
    state: str | None = None
    actor: str | None = None
    since: datetime | None = None  # created at or after
    before: datetime | None = None  # created before


def find_runs(conn: sa.Connection, chosen: RunFilter, limit: int | None, offset: int = 0
              ) -> tuple[int, list[RunRecord]]:
    """How many runs `chosen` selects, and a page of them (all of them for `limit` None),
    newest first."""
    where: list[sa.ColumnElement[bool]] = []
    if chosen.connector:
        where.append(runs.c.connector == chosen.connector)
    if chosen.state:
        where.append(runs.c.state == chosen.state)
    if chosen.since is not None:
        where.append(runs.c.created_at >= chosen.since)
    if chosen.before is not None:
        where.append(runs.c.created_at < chosen.before)
    if chosen.actor:
        where.append(runs.c.id.in_(sorted(launched_by_actor(conn, chosen.actor))))
    total = int(conn.execute(sa.select(sa.func.count()).select_from(runs).where(*where))
                .scalar_one())
    query = sa.select(runs).where(*where).order_by(runs.c.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return total, [RunRecord.from_row(r) for r in conn.execute(query)]


def launched_by_actor(conn: sa.Connection, actor: str) -> set[int]:
    """The ids of the runs `actor` launched from the pages or the API."""
    targets = conn.execute(sa.select(audit_log.c.target).where(
        audit_log.c.action.in_(LAUNCHES), audit_log.c.actor == actor)).scalars()
    return {int(m.group(1)) for t in targets if (m := _TARGET.match(t or ""))}


def actors(conn: sa.Connection) -> list[str]:
    """Everyone who launched a run from the pages or the API."""
    return sorted(conn.execute(sa.select(audit_log.c.actor).distinct()
                               .where(audit_log.c.action.in_(LAUNCHES))).scalars())


def launchers(conn: sa.Connection, listed: Iterable[RunRecord]) -> dict[int, str]:
    """Who launched each run (absent: the command line or a schedule)."""
    records = list(listed)
    found: dict[int, str] = {}
    wanted = [f"run {r.id} of {r.connector}" for r in records]
    for start in range(0, len(wanted), _BATCH):
        for actor, target in conn.execute(sa.select(audit_log.c.actor, audit_log.c.target).where(
                audit_log.c.action.in_(LAUNCHES),
                audit_log.c.target.in_(wanted[start:start + _BATCH]))):
            if m := _TARGET.match(target):
                found[int(m.group(1))] = actor
    for r in records:
        sender = next((f.get("uploaded_by") for f in r.files if f.get("uploaded_by")), None)
        if r.id not in found and sender:
            found[r.id] = str(sender)
    return found

