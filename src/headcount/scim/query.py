"""The Users of the SCIM view as SQL: each mapped attribute a column expression over the
entity type's resources (correlated subqueries for records and navigations), so that filters,
sorts and pages run in the database — never every identity read to filter in Python."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from headcount.repository.resources import json_value
from headcount.repository.schema import links, resource_names, resources, runs
from headcount.scim.mapping import Hop, Mapping, ValuePath


@dataclass(frozen=True)
class Column:
    """A mapped attribute's value (text) and, for a path ending on a navigation, the
    target's key (the manager's `value`)."""

    value: sa.ColumnElement[Any]
    key: sa.ColumnElement[Any] | None = None


class UserQuery:
    """Column expressions of the Users over `users` (the resources table as the outer query
    names it), for one dialect and one day (the current record is the one valid on it)."""

    def __init__(self, mapping: Mapping, dialect: str, today: date) -> None:
        self.mapping = mapping
        self.dialect = dialect
        self.today = today.isoformat()
        self.users = resources.alias("u")
        self.columns = {name: self._column(path) for name, path in mapping.attributes.items()}

    def base(self) -> list[sa.ColumnElement[bool]]:
        return [self.users.c.entity_type == self.mapping.entity_type]

    def created(self) -> sa.ColumnElement[Any]:
        return _finished(self.users.c.created_run)

    def modified_run(self) -> sa.ColumnElement[Any]:
        """The last run that changed the User: its resource's or its current record's."""
        own = sa.func.coalesce(self.users.c.updated_run, self.users.c.created_run)
        record = self._record_run()
        if record is None:
            return own
        greatest = sa.func.max if self.dialect == "sqlite" else sa.func.greatest
        return sa.func.coalesce(greatest(own, record), own)

    def modified(self) -> sa.ColumnElement[Any]:
        return _finished(self.modified_run())

    def active(self) -> sa.ColumnElement[bool]:
        column = self.columns.get("active")
        if column is None:
            return sa.true()
        return sa.func.coalesce(column.value.in_(self.mapping.active_values), sa.false())

    def display_of(self, resource_id: sa.ColumnElement[Any],
                   key: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        shown = sa.select(resource_names.c.display).where(
            resource_names.c.resource_id == resource_id).scalar_subquery()
        return sa.func.coalesce(sa.func.nullif(shown, ""), key)

    def on_current_record(self, path: ValuePath,
                          test: Callable[[Column], sa.ColumnElement[bool]]
                          ) -> sa.ColumnElement[bool] | None:
        """`test` on a value of the current record as a semi-join from the records' side: the
        records whose value passes, then whether each is its identity's current record — one
        pass over the records instead of finding every identity's current record first. None
        for a path that does not start with the record."""
        if not path.hops or not path.hops[0].records:
            return None
        hop = path.hops[0]
        record, link = resources.alias(), links.alias()
        value = self._column_from(ValuePath(path.hops[1:], path.prop, path.display), record)
        current = self._current_record(hop, link.c.target_id, links.alias()).scalar_subquery()
        matching = (sa.select(link.c.target_id)
                    .select_from(link.join(record, record.c.id == link.c.source_id))
                    # CASE: the cheap test first, the current-record lookup only for the
                    # records that pass it (a planner may otherwise run it for every record).
                    .where(link.c.navigation.in_(hop.navigations),
                           sa.case((test(value), record.c.id == current), else_=sa.false())))
        return self.users.c.id.in_(matching)

    def _column(self, path: ValuePath) -> Column:
        return self._column_from(path, self.users)

    def _column_from(self, path: ValuePath, start: sa.FromClause) -> Column:
        if not path.hops:
            if path.prop is not None:
                return Column(json_value(start.c.data, path.prop, self.dialect))
            if path.display:
                return Column(self.display_of(start.c.id, start.c.key))
            return Column(start.c.key)
        reached: sa.ColumnElement[Any] = start.c.id
        for hop in path.hops:
            reached = self._hop(hop, reached)
        target = resources.alias()
        if path.prop is not None:
            return Column(sa.select(json_value(target.c.data, path.prop, self.dialect))
                          .where(target.c.id == reached).scalar_subquery())
        key = sa.select(target.c.key).where(target.c.id == reached).scalar_subquery()
        return Column(self.display_of(reached, key), key)

    def _hop(self, hop: Hop, source: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        link = links.alias()
        if not hop.records:
            # Nested in other subqueries: auto-correlation would only look one level up.
            return sa.select(link.c.target_id).where(
                link.c.source_id == source, link.c.navigation == hop.navigations[0],
                link.c.target_id.is_not(None)).order_by(link.c.target_key).limit(1) \
                .correlate_except(link).scalar_subquery()
        return self._current_record(hop, source, link).scalar_subquery()

    def _current_record(self, hop: Hop, source: sa.ColumnElement[Any],
                        link: sa.FromClause) -> sa.Select[Any]:
        """The record valid today, else the latest started, else the next; a main position
        first (end dates are inclusive, ISO days compare as text)."""
        record = resources.alias()
        start = json_value(record.c.data, "StartDate", self.dialect)
        end = json_value(record.c.data, "EndDate", self.dialect)
        main = json_value(record.c.data, "IsMainPosition", self.dialect)
        started = sa.or_(start.is_(None), start <= self.today)
        rank = sa.case((sa.and_(started, sa.or_(end.is_(None), end >= self.today)), 0),
                       (started, 1), else_=2)
        is_main = main == (1 if self.dialect == "sqlite" else "true")
        return (sa.select(record.c.id)
                .select_from(link.join(record, record.c.id == link.c.source_id))
                .where(link.c.target_id == source, link.c.navigation.in_(hop.navigations))
                .order_by(rank, sa.case((is_main, 0), else_=1), start.desc(),
                          record.c.id.desc())
                .limit(1)
                .correlate_except(link, record))

    def _record_run(self) -> sa.ColumnElement[Any] | None:
        hop = next((path.hops[0] for path in self.mapping.attributes.values()
                    if path.hops and path.hops[0].records), None)
        if hop is None:
            return None
        record = resources.alias()
        current = self._current_record(hop, self.users.c.id, links.alias()).scalar_subquery()
        return sa.select(sa.func.coalesce(record.c.updated_run, record.c.created_run)) \
            .where(record.c.id == current).scalar_subquery()


def _finished(run_id: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    return sa.select(sa.func.coalesce(runs.c.finished_at, runs.c.created_at)) \
        .where(runs.c.id == run_id).scalar_subquery()
