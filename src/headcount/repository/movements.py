"""Joiners, movers and leavers per week (SPEC §8, issue 12): what the home page charts, counted
over the identity repository in three grouped queries, whatever the number of people.

- a **joiner** is an identity (`Directory_User`) whose `StartDate` falls in the week, on or
  before today;
- a **leaver** is an identity whose `EndDate` (its last day: end dates are inclusive) falls in
  the week, before today;
- a **mover** is an identity one of whose records (`Records`) had its organization, title,
  manager or site changed in the week, by an applied run (a synchronization, a workflow, an
  upload, a manual edit) while that record was current — its start date on or before the day of
  the change, its end date on or after it. An identity moved twice in one week counts once.

Weeks start on Monday; the last one is the week of today. Identities deleted after their
retention are no longer counted, nor the moves of records deleted since."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from headcount.config.model import EntityType, Project
from headcount.repository.identities import IDENTITY, RECORDS
from headcount.repository.resources import json_value
from headcount.repository.runs import SUCCEEDED, WARNINGS
from headcount.repository.schema import changes, links, resources, runs

WEEKS = 13  # a quarter
# What makes a mover (SPEC §8): a change of one of these on a current record.
MOVES = ("Organization", "Title", "Manager", "Site")


@dataclass(frozen=True)
class Week:
    starts: date  # a Monday
    joiners: int
    movers: int
    leavers: int


def week_starts(today: date, weeks: int = WEEKS) -> list[date]:
    """The Mondays of the `weeks` weeks ending with the week of `today`, oldest first."""
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


# The figures change only when a run ends (every write to the repository is a run's) or the day
# does: kept per database, project, day and latest run, so that the home page reads every
# identity's dates once per change, not on every visit (at a million identities, seconds).
_KEPT: dict[tuple[str, int, date, int, Any, Any], list[Week]] = {}


def movements(conn: sa.Connection, project: Project, today: date, weeks: int = WEEKS
              ) -> list[Week]:
    """Joiners, movers and leavers of each of the last `weeks` weeks, oldest first; all zero
    when the workforce template is not deployed."""
    latest = conn.execute(sa.select(sa.func.max(runs.c.id), sa.func.max(runs.c.finished_at),
                                    sa.func.count(runs.c.finished_at))).one()
    key = (str(conn.engine.url), id(project), today, weeks, (latest[0], latest[2]), latest[1])
    if key not in _KEPT:
        if len(_KEPT) > 64:
            _KEPT.clear()
        _KEPT[key] = _count(conn, project, today, weeks)
    return _KEPT[key]


def _count(conn: sa.Connection, project: Project, today: date, weeks: int) -> list[Week]:
    starts = week_starts(today, weeks)
    found = project.entity_type(IDENTITY)
    if found is None:
        return [Week(s, 0, 0, 0) for s in starts]
    identity = found[1]
    joiners = _dated(conn, identity.identifier, "StartDate", starts, today, inclusive=True)
    leavers = _dated(conn, identity.identifier, "EndDate", starts, today, inclusive=False)
    movers = _movers(conn, project, identity, starts, today)
    return [Week(s, joiners.get(i, 0), movers.get(i, 0), leavers.get(i, 0))
            for i, s in enumerate(starts)]


def _week_of(value: sa.ColumnElement[Any], starts: list[date]) -> sa.ColumnElement[Any]:
    """The index of the week an ISO day (text) falls in: the same CASE in both dialects."""
    return sa.case(*[(value < (s + timedelta(weeks=1)).isoformat(), i)
                     for i, s in enumerate(starts)], else_=None)


def _dated(conn: sa.Connection, entity_type: str, prop: str, starts: list[date], today: date,
           inclusive: bool) -> dict[int, int]:
    """Identities per week of their date `prop`, up to today (included or not)."""
    day = sa.func.substr(json_value(resources.c.data, prop, conn.dialect.name), 1, 10)
    last = day <= today.isoformat() if inclusive else day < today.isoformat()
    week = _week_of(day, starts).label("week")
    rows = conn.execute(sa.select(week, sa.func.count()).where(
        resources.c.entity_type == entity_type, day >= starts[0].isoformat(), last)
        .group_by(week))
    return {int(w): int(n) for w, n in rows if w is not None}


def _run_day(conn: sa.Connection) -> sa.ColumnElement[Any]:
    """The UTC day a run finished, as ISO text."""
    if conn.dialect.name == "sqlite":
        return sa.func.date(runs.c.finished_at)
    return sa.func.to_char(sa.func.timezone("UTC", runs.c.finished_at), "YYYY-MM-DD")


def _movers(conn: sa.Connection, project: Project, identity: EntityType, starts: list[date],
            today: date) -> dict[int, int]:
    dialect = conn.dialect.name
    moved: list[sa.ColumnElement[bool]] = []
    owners: list[str] = []
    for record, owner in _record_types(project, identity):
        owners.append(f"{record.identifier}.{owner}")
        navigations = [f"{record.identifier}.{p.identifier}" for name in MOVES
                       if (p := record.find_property(name)) is not None and p.is_navigation]
        scalars = [p.identifier for name in MOVES
                   if (p := record.find_property(name)) is not None and not p.is_navigation]
        of_record = changes.c.entity_type == record.identifier
        if navigations:
            moved.append(sa.and_(of_record, changes.c.kind.in_(("link_insert", "link_delete")),
                                 changes.c.navigation.in_(navigations)))
        if scalars:
            # An update's data is {property: [before, after]}: the property is there if changed.
            moved.append(sa.and_(of_record, changes.c.kind == "update", sa.or_(
                *[json_value(changes.c.data, name, dialect).is_not(None) for name in scalars])))
    if not moved:
        return {}
    record_row = resources.alias("record")
    owner_link = links.alias("owner")
    day = _run_day(conn)
    begins = sa.func.substr(json_value(record_row.c.data, "StartDate", dialect), 1, 10)
    ends = sa.func.substr(json_value(record_row.c.data, "EndDate", dialect), 1, 10)
    week = _week_of(day, starts).label("week")
    # A record deleted since is no longer known: its change counts under the record's own key.
    who = sa.func.coalesce(owner_link.c.target_key, changes.c.resource_key)
    since = datetime.combine(starts[0], time(), UTC)
    until = datetime.combine(today + timedelta(days=1), time(), UTC)
    query = (
        sa.select(week, sa.func.count(sa.distinct(who)))
        .select_from(changes.join(runs, runs.c.id == changes.c.run_id)
                     .outerjoin(record_row, sa.and_(
                         record_row.c.entity_type == changes.c.entity_type,
                         record_row.c.key == changes.c.resource_key))
                     .outerjoin(owner_link, sa.and_(owner_link.c.source_id == record_row.c.id,
                                                    owner_link.c.navigation.in_(owners))))
        .where(sa.or_(*moved), runs.c.dry_run.is_(False),
               runs.c.state.in_((SUCCEEDED, WARNINGS)),
               runs.c.finished_at >= since, runs.c.finished_at < until,
               sa.or_(begins.is_(None), begins <= day), sa.or_(ends.is_(None), ends >= day))
        .group_by(week))
    return {int(w): int(n) for w, n in conn.execute(query) if w is not None}


def _record_types(project: Project, identity: EntityType) -> list[tuple[EntityType, str]]:
    """The records of an identity: each entity type with a navigation to it whose flip side is
    `Records` (the sample's `Directory_UserRecord.User`), and that navigation's name."""
    low = identity.identifier.lower()
    return [(et, p.identifier) for c in project.connectors for et in c.entity_types
            for p in et.properties
            if p.is_navigation and (p.target or "").lower() == low
            and (p.flip or "").lower() == RECORDS.lower()]
