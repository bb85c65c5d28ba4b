"""The review of a managed system's accounts (SPEC §10): orphaned (no owner, not a service
account), unused (enabled, no logon for `unused_after_days`), owner left (enabled, its owner's
identity has left) and service accounts — counted and paged in SQL over `account_status`, with
what decisions keep in force beside each account, and how fresh the signal is."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import IO, Any, Literal

import sqlalchemy as sa

from headcount.cells import formula_safe
from headcount.config.managed_system import ManagedSystem
from headcount.repository.schema import (
    account_marks,
    account_status,
    deprovisioning_orders,
    runs,
)

Category = Literal["orphan", "unused", "owner-left", "service"]
CATEGORIES: tuple[Category, ...] = ("orphan", "unused", "owner-left", "service")
LEFT = "left"
s, m, o = account_status.c, account_marks.c, deprovisioning_orders.c


@dataclass(frozen=True)
class Counts:
    accounts: int
    orphan: int
    orphan_suggested: int
    unused: int
    owner_left: int
    service: int

    def of(self, category: str) -> int:
        return int(getattr(self, category.replace("-", "_")))


@dataclass(frozen=True)
class Freshness:
    """How much the unused signal can be trusted: the directory's replication lag of the
    last logon, and when the accounts were last read."""

    lag_days: int
    unused_after_days: int
    last_read: datetime | None
    last_run: int | None


@dataclass(frozen=True)
class AccountRow:
    key: str
    display: str
    owner_key: str | None
    owner_by: str | None
    owner_state: str | None
    suggestion_key: str | None
    suggestion_score: int | None
    suggestion_why: str | None
    service: bool
    service_responsible: str | None
    service_until: str | None
    disabled: bool
    last_logon: str | None
    created: str | None
    postponed_until: str | None
    order_id: int | None
    order_action: str | None
    delete_on: str | None
    categories: tuple[str, ...]


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _conditions(system: ManagedSystem, now: datetime) -> dict[str, sa.ColumnElement[bool]]:
    today = now.astimezone(UTC).date().isoformat()
    cutoff = _iso(now - timedelta(days=system.unused_after_days))
    service = sa.or_(s.service.is_(True), sa.and_(m.service_until.is_not(None),
                                                   m.service_until >= today))
    enabled = s.disabled.is_(False)
    return {
        "service": service,
        "orphan": sa.and_(s.owner_key.is_(None), sa.not_(service)),
        # Never logged on: unused once the account is older than the threshold, when its
        # creation date is known; without it, it is not counted.
        "unused": sa.and_(enabled, sa.or_(s.last_logon < cutoff, sa.and_(
            s.last_logon.is_(None), s.created.is_not(None), s.created < cutoff))),
        "owner-left": sa.and_(enabled, s.owner_state == LEFT),
    }


def _joined() -> Any:
    return account_status.outerjoin(account_marks, sa.and_(
        m.system == s.system, m.account_key == s.account_key)).outerjoin(
        deprovisioning_orders, sa.and_(o.id == m.order_id, o.state == "open"))


def counts(conn: sa.Connection, system: ManagedSystem, now: datetime) -> Counts:
    cond = _conditions(system, now)

    def total(c: sa.ColumnElement[bool]) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((c, 1), else_=0)), 0)
    row = conn.execute(sa.select(
        sa.func.count(), total(cond["orphan"]),
        total(sa.and_(cond["orphan"], s.suggestion_key.is_not(None))),
        total(cond["unused"]), total(cond["owner-left"]), total(cond["service"]))
        .select_from(_joined()).where(s.system == system.identifier)).one()
    return Counts(*(int(v) for v in row))


def _where(system: ManagedSystem, now: datetime, category: str | None, search: str,
           suggested: bool, pending: bool) -> list[sa.ColumnElement[bool]]:
    cond = _conditions(system, now)
    where: list[sa.ColumnElement[bool]] = [s.system == system.identifier]
    if category:
        where.append(cond[category])
    if search:
        like = f"%{search.lower()}%"
        where.append(sa.or_(sa.func.lower(s.account_key).like(like),
                            sa.func.lower(s.display).like(like)))
    if suggested:
        where.append(s.suggestion_key.is_not(None))
    if pending:
        # Nothing decided yet: not postponed, no deprovisioning order in force.
        today = now.astimezone(UTC).date().isoformat()
        where.append(sa.or_(m.postponed_until.is_(None), m.postponed_until < today))
        where.append(o.id.is_(None))
    return where


def page(conn: sa.Connection, system: ManagedSystem, now: datetime,
         category: str | None = None, search: str = "", suggested: bool = False,
         pending: bool = False, limit: int | None = 50, offset: int = 0
         ) -> tuple[int, list[AccountRow]]:
    """How many accounts the filters keep, and one page of them in key order."""
    where = _where(system, now, category, search, suggested, pending)
    total = int(conn.execute(sa.select(sa.func.count()).select_from(_joined())
                             .where(*where)).scalar_one())
    cond = _conditions(system, now)
    query = (sa.select(s.account_key, s.display, s.owner_key, s.owner_by, s.owner_state,
                       s.suggestion_key, s.suggestion_score, s.suggestion_why,
                       cond["service"], m.service_responsible, m.service_until, s.disabled,
                       s.last_logon, s.created, m.postponed_until, o.id, o.action, o.delete_on,
                       *(cond[c] for c in CATEGORIES))
             .select_from(_joined()).where(*where).order_by(s.account_key).offset(offset))
    if limit is not None:
        query = query.limit(limit)
    return total, [_row(row) for row in conn.execute(query)]


def _row(row: Sequence[Any]) -> AccountRow:
    flags = row[-len(CATEGORIES):]
    return AccountRow(
        key=row[0], display=row[1], owner_key=row[2], owner_by=row[3], owner_state=row[4],
        suggestion_key=row[5], suggestion_score=row[6], suggestion_why=row[7],
        service=bool(row[8]), service_responsible=row[9], service_until=row[10],
        disabled=bool(row[11]), last_logon=row[12], created=row[13], postponed_until=row[14],
        order_id=row[15], order_action=row[16], delete_on=row[17],
        categories=tuple(c for c, f in zip(CATEGORIES, flags, strict=True) if f))


def account(conn: sa.Connection, system: ManagedSystem, key: str, now: datetime
            ) -> AccountRow | None:
    where = [s.system == system.identifier, s.account_key == key]
    cond = _conditions(system, now)
    row = conn.execute(sa.select(
        s.account_key, s.display, s.owner_key, s.owner_by, s.owner_state, s.suggestion_key,
        s.suggestion_score, s.suggestion_why, cond["service"], m.service_responsible,
        m.service_until, s.disabled, s.last_logon, s.created, m.postponed_until, o.id,
        o.action, o.delete_on, *(cond[c] for c in CATEGORIES))
        .select_from(_joined()).where(*where)).first()
    return None if row is None else _row(row)


def accounts_of(conn: sa.Connection, owner_key: str) -> list[tuple[str, str, str]]:
    """The accounts an identity owns: (system, account key, display), by system."""
    return [(a, b, c) for a, b, c in conn.execute(
        sa.select(s.system, s.account_key, s.display).where(s.owner_key == owner_key)
        .order_by(s.system, s.account_key))]


def freshness(conn: sa.Connection, system: ManagedSystem) -> Freshness:
    r = runs.c
    row = conn.execute(sa.select(r.id, r.finished_at).where(
        r.connector == system.connector, r.dry_run.is_(False),
        r.state.in_(("succeeded", "succeeded with warnings")), r.mode != "evaluation")
        .order_by(r.id.desc()).limit(1)).first()
    at = row[1] if row else None
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return Freshness(system.last_logon_lag_days, system.unused_after_days, at,
                     int(row[0]) if row else None)


EXPORT_HEADER = ("account", "display name", "categories", "owner", "owner named by",
                 "owner state", "suggested owner", "score", "why", "service responsible",
                 "service until", "disabled", "last logon", "created", "postponed until",
                 "deprovisioning order", "action", "delete on")


def write_csv(handle: IO[str], rows: Sequence[AccountRow]) -> None:
    """The accounts as CSV, cells that a spreadsheet would run as formulas neutralised."""
    writer = csv.writer(handle)
    writer.writerow(EXPORT_HEADER)
    for a in rows:
        writer.writerow([formula_safe(v) for v in (
            a.key, a.display, " ".join(a.categories), a.owner_key, a.owner_by, a.owner_state,
            a.suggestion_key, a.suggestion_score, a.suggestion_why, a.service_responsible,
            a.service_until, str(a.disabled).lower(), a.last_logon, a.created,
            a.postponed_until, a.order_id, a.order_action, a.delete_on)])


def today(now: datetime) -> date:
    return now.astimezone(UTC).date()
