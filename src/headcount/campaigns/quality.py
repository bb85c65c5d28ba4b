"""Reviewer-quality signals for a campaign's owner: how long each reviewer takes per decision,
and bursts of approvals — many in a short time with no other decision among them — that say
someone approved everything without looking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import median

import sqlalchemy as sa

from headcount.repository.schema import campaign_decisions, campaign_items

# ≥ 20 approvals within a minute, all approvals: a rubber stamp.
BURST_SIZE = 20
BURST_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Burst:
    start: datetime
    end: datetime
    approvals: int


@dataclass(frozen=True)
class ReviewerSignals:
    reviewer: str
    decisions: int
    approvals: int
    median_seconds: float | None
    bursts: list[Burst]

    @property
    def approve_rate(self) -> int:
        return int(100 * self.approvals / self.decisions) if self.decisions else 0


def signals(conn: sa.Connection, campaign_id: int) -> list[ReviewerSignals]:
    d, i = campaign_decisions.c, campaign_items.c
    by_actor: dict[str, list[tuple[datetime, str]]] = {}
    for actor, at, decision in conn.execute(
            sa.select(d.actor, d.at, d.decision).where(d.campaign_id == campaign_id)
            .order_by(d.actor, d.at, d.id)):
        at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        by_actor.setdefault(actor, []).append((at, decision))
    times: dict[str, list[float]] = {}
    for actor, seconds in conn.execute(sa.select(i.decided_by, i.seconds).where(
            i.campaign_id == campaign_id, i.seconds.is_not(None))):
        times.setdefault(actor, []).append(float(seconds))
    out = []
    for actor, decided in sorted(by_actor.items()):
        approvals = sum(1 for _, x in decided if x == "approve")
        spent = times.get(actor)
        out.append(ReviewerSignals(actor, len(decided), approvals,
                                   median(spent) if spent else None, bursts(decided)))
    return out


def bursts(decided: list[tuple[datetime, str]]) -> list[Burst]:
    """Runs of consecutive approvals holding ≥ BURST_SIZE within BURST_WINDOW."""
    out: list[Burst] = []
    run: list[datetime] = []
    for at, decision in [*decided, (datetime.max.replace(tzinfo=UTC), "end")]:
        if decision == "approve":
            run.append(at)
            continue
        start = 0
        found: Burst | None = None
        for end in range(len(run)):
            while run[end] - run[start] > BURST_WINDOW:
                start += 1
            if end - start + 1 >= BURST_SIZE:
                count = end - start + 1
                if found is not None and found.start <= run[start]:
                    found = Burst(found.start, run[end], max(found.approvals, count))
                else:
                    found = Burst(run[start], run[end], count)
        if found is not None:
            out.append(found)
        run = []
    return out
