"""What the home page shows (issue 12): per connector its last successful run and how long ago,
the next scheduled one (none until schedules exist), alerts — blocked and failed runs, stale
files — the items waiting for the user, and the workforce's joiners, movers and leavers per week.

A handful of grouped queries, whatever the number of connectors, runs or people. Texts that
depend on the reader's language (ages, the chart) are made while the page renders, in its
language: the template calls `ago` and `movements_chart`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import sqlalchemy as sa
from babel import Locale
from babel.dates import format_timedelta
from markupsafe import Markup

from headcount.campaigns.store import open_count as campaign_items_open
from headcount.config.jobs import job_connectors
from headcount.config.model import Connector, Project
from headcount.policy.cases import count_open as cases_open
from headcount.repository import property_states
from headcount.repository.freshness import reads_source, stale_since
from headcount.repository.movements import Week, movements
from headcount.repository.runs import (
    BLOCKED,
    FAILED,
    INTERRUPTED,
    SUCCEEDED,
    WARNINGS,
    RunRecord,
)
from headcount.repository.schema import runs
from headcount.repository.users import User
from headcount.scheduling import cron
from headcount.web.api.timestamps import utc
from headcount.web.charts import Series, bar_chart
from headcount.web.i18n import current_language, format_date
from headcount.web.i18n import gettext as _
from headcount.workflows.tasks import open_count as tasks_open

ALERTS_SHOWN = 50
AlertKind = Literal["blocked", "failed", "stale"]


@dataclass(frozen=True)
class ConnectorStatus:
    connector: Connector
    last_success: RunRecord | None
    latest: RunRecord | None
    # Schedules do not exist yet (SPEC §11): the slot is kept for them.
    next_run: datetime | None = None

    @property
    def name(self) -> str:
        return self.connector.display_name or self.connector.identifier

    @property
    def reads_files(self) -> bool:
        return reads_source(self.connector)


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    connector: ConnectorStatus
    run: RunRecord | None  # the blocked or failed run, the last successful one when stale


@dataclass(frozen=True)
class Waiting:
    """Items waiting for someone: how many, where they are listed."""

    kind: Literal["tasks", "cases", "reconciliation", "campaigns"]
    count: int
    href: str


@dataclass(frozen=True)
class Dashboard:
    connectors: list[ConnectorStatus]
    alerts: list[Alert]
    waiting: list[Waiting]
    weeks: list[Week] = field(default_factory=list)

    @property
    def scheduled(self) -> bool:
        return any(c.next_run is not None for c in self.connectors)


def dashboard(conn: sa.Connection, project: Project, user: User, now: datetime) -> Dashboard:
    statuses = _statuses(conn, project)
    following = next_runs(project, now)
    statuses = [dataclasses.replace(s, next_run=following.get(s.connector.identifier))
                for s in statuses]
    return Dashboard(statuses, _alerts(conn, statuses, now), _waiting(conn, project, user),
                     movements(conn, project, now.astimezone(UTC).date()))


def next_runs(project: Project, now: datetime) -> dict[str, datetime]:
    """Each connector's next scheduled job run (docs/jobs.md); absent: none scheduled."""
    found: dict[str, datetime] = {}
    for job in project.jobs:
        if not job.enabled or job.schedule is None:
            continue
        at = cron.next_fire(job.schedule, job.time_zone, now)
        for connector in job_connectors(job, project.connectors):
            if connector.active:
                key = connector.identifier
                found[key] = min(at, found.get(key, at))
    return found


def _statuses(conn: sa.Connection, project: Project) -> list[ConnectorStatus]:
    """Each connector's latest run and last successful one (dry runs left out): two queries."""
    ok = sa.case((runs.c.state.in_((SUCCEEDED, WARNINGS)), runs.c.id), else_=None)
    ids = {str(c): (latest, success) for c, latest, success in conn.execute(
        sa.select(runs.c.connector, sa.func.max(runs.c.id), sa.func.max(ok))
        .where(runs.c.dry_run.is_(False)).group_by(runs.c.connector))}
    wanted = {i for pair in ids.values() for i in pair if i is not None}
    records = {r.id: r for r in map(RunRecord.from_row, conn.execute(
        sa.select(runs).where(runs.c.id.in_(sorted(wanted)))))} if wanted else {}
    statuses = []
    for connector in project.connectors:
        latest, success = ids.get(connector.identifier, (None, None))
        statuses.append(ConnectorStatus(connector, records.get(success) if success else None,
                                        records.get(latest) if latest else None))
    return statuses


def _alerts(conn: sa.Connection, statuses: list[ConnectorStatus], now: datetime) -> list[Alert]:
    """Blocked runs waiting for a person, connectors whose latest run failed, and connectors
    reading files whose last success is older than their `stale_after_days`."""
    by_name = {s.connector.identifier: s for s in statuses}
    alerts = [Alert("blocked", by_name[r.connector], r) for r in map(
        RunRecord.from_row, conn.execute(
            sa.select(runs).where(runs.c.state == BLOCKED, runs.c.dry_run.is_(False))
            .order_by(runs.c.id.desc()).limit(ALERTS_SHOWN)))
        if r.connector in by_name]
    for status in statuses:
        latest = status.latest
        if latest is not None and latest.state in (FAILED, INTERRUPTED):
            alerts.append(Alert("failed", status, latest))
    for status in statuses:
        if status.reads_files and stale_since(status.connector, status.last_success, now):
            alerts.append(Alert("stale", status, status.last_success))
    return alerts


def _waiting(conn: sa.Connection, project: Project, user: User) -> list[Waiting]:
    """What waits for `user`, where the top bar would list it: their tasks and campaign items,
    the open correlation cases, the values to reconcile (for those who decide)."""
    waiting = []
    tasks = tasks_open(conn, project, user)
    if tasks or user.can("decide"):
        waiting.append(Waiting("tasks", tasks, "/tasks"))
    items = campaign_items_open(conn, user)
    if items:
        waiting.append(Waiting("campaigns", items, "/reviews"))
    waiting.append(Waiting("cases", cases_open(conn), "/correlation-cases"))
    if user.can("decide"):
        held = property_states.search(
            conn, property_states.Filters(states=property_states.OPEN), limit=0)[0]
        waiting.append(Waiting("reconciliation", held, "/reconciliation"))
    return waiting


def ago(moment: datetime | None, now: datetime) -> str:
    """How long ago, in words of the page's language: '3 hours ago', 'il y a 3 heures'."""
    if moment is None:
        return ""
    return format_timedelta(utc(moment) - now, add_direction=True, format="long",
                            locale=Locale.parse(current_language()))


def movements_chart(weeks: list[Week]) -> Markup:
    """Joiners, movers and leavers per week as grouped bars, in the page's language."""
    labels = [format_date(w.starts, "d MMM") for w in weeks]
    # The axis: the day of each Monday, the month under the first week and where it changes.
    ticks = [(format_date(w.starts, "d"),
              format_date(w.starts, "MMM") if i == 0 or w.starts.month != weeks[i - 1].starts.month
              else "") for i, w in enumerate(weeks)]
    return bar_chart("movements-chart", _("Joiners, movers and leavers per week"), labels, [
        Series(_("Joiners"), [w.joiners for w in weeks]),
        Series(_("Movers"), [w.movers for w in weeks]),
        Series(_("Leavers"), [w.leavers for w in weeks]),
    ], _("Week of"), ticks)
