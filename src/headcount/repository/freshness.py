"""Whether a connector's data is fresh (issue 12 showed it, issue 13 announces it): a connector
that reads a source is stale when its last successful run (dry runs aside) is older than its
`stale_after_days`, or when it never had one. Below the web layer: the home page and the job
events both ask."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from headcount.config.model import Connector
from headcount.repository.runs import SUCCEEDED, WARNINGS, RunRecord
from headcount.repository.schema import runs


def utc(moment: datetime) -> datetime:
    """The instant in UTC: SQLite gives back naive datetimes of what was stored in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def reads_source(connector: Connector) -> bool:
    """A connector with connections reads a source; the others are written by the policy,
    workflows and uploads, and are never stale."""
    return bool(connector.connections)


def stale_since(connector: Connector, last_success: RunRecord | None, now: datetime) -> bool:
    """Whether `last_success` (the connector's latest successful run) is too old at `now`."""
    if last_success is None or last_success.finished_at is None:
        return True
    limit = timedelta(days=connector.stale_after_days)
    return now - utc(last_success.finished_at) > limit


def last_successes(conn: sa.Connection, connectors: Sequence[str]) -> dict[str, RunRecord]:
    """Each connector's latest successful run (with warnings or not, dry runs left out), in
    two queries whatever the number of connectors."""
    if not connectors:
        return {}
    ids = [int(i) for i in conn.execute(
        sa.select(sa.func.max(runs.c.id)).where(
            runs.c.connector.in_(list(connectors)), runs.c.dry_run.is_(False),
            runs.c.state.in_((SUCCEEDED, WARNINGS))).group_by(runs.c.connector)).scalars()]
    if not ids:
        return {}
    return {r.connector: r for r in map(RunRecord.from_row, conn.execute(
        sa.select(runs).where(runs.c.id.in_(ids))))}
