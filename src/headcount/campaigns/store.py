"""Campaigns and their items as stored: written set-wise (one `executemany` for all the items
of a campaign), read a page at a time, counted for the progress bars."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from headcount.campaigns.spec import CampaignSpec, Options, Scope, Stage
from headcount.errors import NotFound
from headcount.repository.bulk import insert_rows
from headcount.repository.runs import audit
from headcount.repository.schema import campaign_items, campaign_reviewers, campaigns
from headcount.repository.users import User

# Items are inserted in parts of this many: one statement each, bounded memory.
CHUNK = 10_000
OPEN, DECIDED, FINAL, CLOSED = "open", "decided", "final", "closed"
STATES = (OPEN, DECIDED, FINAL, CLOSED)


@dataclass(frozen=True)
class Campaign:
    id: int
    kind: str
    name: str
    owner: str
    scope: Scope
    stages: list[Stage]
    options: Options
    starts_on: date
    ends_on: date
    state: str
    created_at: datetime
    closed_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Campaign:
        return cls(row.id, row.kind, row.name, row.owner,
                   Scope.model_validate_json(row.scope),
                   [Stage.model_validate(s) for s in json.loads(row.stages)],
                   Options.model_validate_json(row.options), row.starts_on, row.ends_on,
                   row.state, _utc(row.created_at), _utc(row.closed_at) if row.closed_at
                   else None)


@dataclass(slots=True)  # not frozen: 100,000 are made at once, and frozen costs per field
class NewItem:
    """An item as a campaign's creation (or an HR import) finds it."""

    subject_type: str
    subject_key: str
    label: str
    finding: str
    reviewer: str
    property: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    id: int
    campaign_id: int
    subject_type: str
    subject_key: str
    label: str | None
    finding: str
    property: str | None
    details: dict[str, Any]
    stage: int
    reviewer: str
    state: str
    decision: str | None
    comment: str | None
    decided_by: str | None
    decided_at: datetime | None
    seconds: float | None
    expires_on: date | None
    applied: str | None
    opened_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Item:
        m = row._mapping
        return cls(**{**m, "details": json.loads(m["details"] or "{}"),
                      "decided_at": _utc(m["decided_at"]) if m["decided_at"] else None,
                      "opened_at": _utc(m["opened_at"])})


@dataclass(frozen=True)
class Progress:
    total: int
    done: int  # no longer open

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def insert(conn: sa.Connection, spec: CampaignSpec, actor: str, now: datetime) -> int:
    state = "active" if spec.starts_on <= now.date() else "draft"
    inserted = conn.execute(sa.insert(campaigns).values(
        kind=spec.kind, name=spec.name, owner=spec.owner, scope=spec.scope.model_dump_json(),
        stages=json.dumps([s.model_dump() for s in spec.stages]),
        options=spec.options.model_dump_json(), starts_on=spec.starts_on,
        ends_on=spec.ends_on, state=state, created_at=now)).inserted_primary_key
    assert inserted is not None
    campaign_id = int(inserted[0])
    audit(conn, actor, "campaign created", f"campaign {campaign_id}", spec.name)
    return campaign_id


ITEM_COLUMNS = ("campaign_id", "subject_type", "subject_key", "label", "finding", "property",
                "details", "stage", "reviewer", "state", "opened_at")


def add_items(conn: sa.Connection, campaign_id: int, items: Sequence[NewItem], stage: int,
              now: datetime) -> int:
    """The items, bulk written (COPY on PostgreSQL): no statement per item."""
    opened = stored_instant(conn, now)
    for start in range(0, len(items), CHUNK):
        insert_rows(conn, campaign_items.name, ITEM_COLUMNS, [
            (campaign_id, i.subject_type, i.subject_key, i.label, i.finding, i.property,
             _json(i.details), stage, i.reviewer, OPEN, opened)
            for i in items[start:start + CHUNK]])
    return len(items)


def stored_instant(conn: sa.Connection, at: datetime) -> Any:
    """An instant as SQLAlchemy would write it (a text on SQLite), for the driver's own
    bulk writes."""
    process = campaign_items.c.opened_at.type.dialect_impl(conn.dialect).bind_processor(
        conn.dialect)
    return process(at) if process is not None else at


# One encoder for 100,000 items: json.dumps with options builds one per call.
_json = json.JSONEncoder(ensure_ascii=False, default=str).encode


def get(conn: sa.Connection, campaign_id: int) -> Campaign:
    row = conn.execute(sa.select(campaigns).where(campaigns.c.id == campaign_id)).first()
    if row is None:
        raise NotFound(f"no campaign {campaign_id}")
    return Campaign.from_row(row)


def listed(conn: sa.Connection) -> list[Campaign]:
    return [Campaign.from_row(r) for r in
            conn.execute(sa.select(campaigns).order_by(campaigns.c.id.desc()))]


def mine(user: User) -> list[str]:
    """The reviewer names under which `user` decides: their own, and their role's."""
    return [user.name, f"role:{user.role}"]


def items_of(conn: sa.Connection, campaign_id: int, reviewers: Sequence[str] | None = None,
             state: str | None = None, limit: int = 50, offset: int = 0,
             total: int | None = None) -> tuple[int, list[Item]]:
    """A page of a campaign's items (only those of `reviewers` when given), by id; their
    count unless the caller knows it (`total`)."""
    c = campaign_items.c
    where = [c.campaign_id == campaign_id]
    if reviewers is not None:
        where.append(c.reviewer.in_(list(reviewers)))
    if state is not None:
        where.append(c.state == state)
    if total is None:
        total = conn.execute(sa.select(sa.func.count()).select_from(campaign_items)
                             .where(*where)).scalar_one()
    rows = conn.execute(sa.select(campaign_items).where(*where).order_by(c.id)
                        .limit(limit).offset(offset))
    return int(total), [Item.from_row(r) for r in rows]


def counts_of(conn: sa.Connection, campaign_id: int, reviewers: Sequence[str]
              ) -> tuple[int, int]:
    """(all, open) items of these reviewers in the campaign: one scan of the index."""
    c = campaign_items.c
    total, waiting = conn.execute(
        sa.select(sa.func.count(), sa.func.sum(sa.case((c.state == OPEN, 1), else_=0)))
        .where(c.campaign_id == campaign_id, c.reviewer.in_(list(reviewers)))).one()
    return int(total), int(waiting or 0)


def items_by_id(conn: sa.Connection, ids: Iterable[int]) -> list[Item]:
    wanted = sorted(set(ids))
    out: list[Item] = []
    for start in range(0, len(wanted), 500):
        out += [Item.from_row(r) for r in conn.execute(sa.select(campaign_items).where(
            campaign_items.c.id.in_(wanted[start:start + 500])).order_by(campaign_items.c.id))]
    return out


def every_item(conn: sa.Connection, campaign_id: int) -> list[Item]:
    return [Item.from_row(r) for r in conn.execute(
        sa.select(campaign_items).where(campaign_items.c.campaign_id == campaign_id)
        .order_by(campaign_items.c.id))]


def progress(conn: sa.Connection, campaign_id: int
             ) -> tuple[Progress, dict[int, Progress], dict[str, Progress]]:
    """Overall, per stage reached, per reviewer: items no longer open of all items."""
    c = campaign_items.c
    done = sa.func.sum(sa.case((c.state != OPEN, 1), else_=0))
    by_stage: dict[int, Progress] = {}
    by_reviewer: dict[str, Progress] = {}
    total = finished = 0
    for stage, reviewer, count, closed in conn.execute(
            sa.select(c.stage, c.reviewer, sa.func.count(), done)
            .where(c.campaign_id == campaign_id).group_by(c.stage, c.reviewer)):
        count, closed = int(count), int(closed or 0)
        total, finished = total + count, finished + closed
        s = by_stage.get(stage, Progress(0, 0))
        by_stage[stage] = Progress(s.total + count, s.done + closed)
        r = by_reviewer.get(reviewer, Progress(0, 0))
        by_reviewer[reviewer] = Progress(r.total + count, r.done + closed)
    return Progress(total, finished), dict(sorted(by_stage.items())), \
        dict(sorted(by_reviewer.items()))


def open_count(conn: sa.Connection, user: User) -> int:
    """The open items of active campaigns waiting for `user` (beside My Tasks)."""
    c = campaign_items.c
    return int(conn.execute(
        sa.select(sa.func.count()).select_from(campaign_items)
        .join(campaigns, campaigns.c.id == c.campaign_id)
        .where(c.reviewer.in_(mine(user)), c.state == OPEN, campaigns.c.state == "active")
    ).scalar_one())


def waiting(conn: sa.Connection, user: User) -> list[tuple[Campaign, int]]:
    """The active campaigns with items waiting for `user`, and how many."""
    c = campaign_items.c
    counts = {int(i): int(n) for i, n in conn.execute(
        sa.select(c.campaign_id, sa.func.count()).where(c.reviewer.in_(mine(user)),
                                                        c.state == OPEN)
        .group_by(c.campaign_id))}
    if not counts:
        return []
    rows = conn.execute(sa.select(campaigns).where(campaigns.c.id.in_(list(counts)),
                                                   campaigns.c.state == "active")
                        .order_by(campaigns.c.ends_on, campaigns.c.id))
    return [(Campaign.from_row(r), int(counts[r.id])) for r in rows]


def signed_off(conn: sa.Connection, campaign_id: int) -> dict[str, datetime]:
    r = campaign_reviewers.c
    return {name: _utc(at) for name, at in conn.execute(
        sa.select(r.reviewer, r.signed_off_at).where(r.campaign_id == campaign_id,
                                                     r.signed_off_at.is_not(None)))}
