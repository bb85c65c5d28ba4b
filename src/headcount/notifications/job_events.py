"""Job events (issue 13): a run blocked, failed or ended with warnings, a connector's source gone
stale — each told to whom `notifications.job_events` says, as rows of the outbox that
`workflows.delivery.deliver` sends like the tasks' notices. This module finds the events and
writes the rows; it never sends (jobs/events.py does, once the rows are committed)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from headcount.config.directory import FileConnection
from headcount.config.model import Connector, Project
from headcount.config.notifications import JobEventKind
from headcount.connections.csvfile import resolve_path
from headcount.errors import SourceError
from headcount.repository import runs
from headcount.repository.freshness import last_successes, reads_source, stale_since, utc
from headcount.repository.schema import outbox
from headcount.repository.users import contacts

# The outbox's channels (repository/schema/workflows.py): an e-mail row per recipient, one
# event row for the webhooks.
EMAIL, EVENT = "email", "event"
WARNINGS_LISTED = 5

_STATES: dict[str, JobEventKind] = {
    runs.BLOCKED: "run_blocked", runs.FAILED: "run_failed", runs.WARNINGS: "run_warnings"}


@dataclass(frozen=True)
class JobEvent:
    """One event of one connector, before it is addressed."""

    kind: JobEventKind
    connector: str
    subject: str
    body: str
    link: str
    at: datetime
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Staleness:
    """A connector whose source is stale, and the spell it is in: the same spell is announced
    once; a new one starts when the connector was fresh in between."""

    connector: Connector
    reason: str
    spell: str
    last_success: runs.RunRecord | None


def may_tell(project: Project) -> bool:
    """Whether some job event can reach someone: a rule, and e-mail or a webhook it names."""
    settings = project.notifications
    return any(settings.smtp is not None or rule.webhooks for rule in settings.job_events)


def run_event(conn: sa.Connection, project: Project, run_id: int, at: datetime
              ) -> JobEvent | None:
    """The event a finished run makes, if any: dry runs and successes without warnings make
    none."""
    record = runs.get_run(conn, run_id)
    kind = _STATES.get(record.state)
    if kind is None or record.dry_run:
        return None
    name = _name(project, record.connector)
    message = record.message or ""
    warnings: list[str] = []
    if kind == "run_warnings":
        warnings = [text for _, level, text in runs.logs(conn, run_id) if level == "warning"]
        listed = warnings[:WARNINGS_LISTED]
        more = len(warnings) - len(listed)
        message = "\n".join(listed + ([f"… and {more} more"] if more else []))
    verb = {"run_blocked": "is blocked", "run_failed": "failed",
            "run_warnings": "succeeded with warnings"}[kind]
    counts = _counts(record.counters)
    lines = [f"Run {record.id} ({record.mode}) of connector {name} {verb}.", ""]
    if message:
        lines += [message, ""]
    if counts:
        lines.append("Counts: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + ".")
    if kind == "run_blocked":
        lines.append("Its changes wait: resume or cancel it from its job result.")
    return JobEvent(
        kind, record.connector, f"headcount: run {record.id} of {name} {verb}",
        "\n".join(lines).strip(), f"/runs/{record.id}", at,
        {"run": record.id, "connector": record.connector, "connector_name": name,
         "mode": record.mode, "state": record.state, "message": message or None,
         "counts": counts, **({"warnings": warnings} if warnings else {})})


def stale_connectors(conn: sa.Connection, project: Project, now: datetime, folder: Path
                     ) -> list[Staleness]:
    """The connectors reading a source whose last successful run is older than their
    `stale_after_days` (or who never had one), or whose newest file on this machine is."""
    reading = [c for c in project.connectors if reads_source(c)]
    successes = last_successes(conn, [c.identifier for c in reading])
    found = []
    for connector in reading:
        success = successes.get(connector.identifier)
        days = f"{connector.stale_after_days:g} days"
        if stale_since(connector, success, now):
            if success is None or success.finished_at is None:
                reason, spell = "it has had no successful run", "run:none"
            else:
                reason = (f"its last successful run, {success.id}, finished on "
                          f"{utc(success.finished_at):%Y-%m-%d %H:%M} UTC, more than {days} ago")
                spell = f"run:{success.id}"
            found.append(Staleness(connector, reason, spell, success))
            continue
        newest = _newest_file(folder, connector)
        if newest is not None and (now - newest[1]).total_seconds() \
                > connector.stale_after_days * 86400:
            path, modified = newest
            found.append(Staleness(
                connector, f"its newest file, {path.name}, was written on "
                           f"{modified:%Y-%m-%d %H:%M} UTC, more than {days} ago",
                f"file:{path}:{modified.timestamp():.0f}", success))
    return found


def stale_event(project: Project, stale: Staleness, at: datetime) -> JobEvent:
    connector = stale.connector
    name = _name(project, connector.identifier)
    run = stale.last_success
    lines = [f"The source of connector {name} is stale: {stale.reason}.",
             "Check that its files are still delivered and that its runs succeed."]
    return JobEvent(
        "source_stale", connector.identifier, f"headcount: the source of {name} is stale",
        "\n".join(lines), f"/runs/{run.id}" if run else f"/connectors/{connector.identifier}",
        at, {"connector": connector.identifier, "connector_name": name,
             "message": stale.reason, "run": run.id if run else None,
             "state": run.state if run else None, "counts": _counts(run.counters) if run else {},
             "spell": stale.spell, "stale_after_days": connector.stale_after_days})


def announced_spells(conn: sa.Connection, connector: str) -> set[str]:
    """The stale spells of `connector` already written to the outbox."""
    o = outbox.c
    spells = set()
    for (payload,) in conn.execute(sa.select(o.payload).where(o.kind == "source_stale")):
        data = json.loads(payload)
        if data.get("connector") == connector:
            spells.add(str(data.get("spell")))
    return spells


def write(conn: sa.Connection, project: Project, events: Iterable[JobEvent]) -> int:
    """The outbox rows of `events`, addressed by the project's `job_events` rules: an e-mail
    row per address (when the project sends e-mail), one event row naming the webhooks.
    Returns the number of rows written (none: nobody to tell)."""
    settings = project.notifications
    people: Mapping[str, Any] | None = None
    rows: list[dict[str, Any]] = []
    for event in events:
        rules = [r for r in settings.job_events if event.kind in r.events and (
            not r.connectors or event.connector.lower() in {c.lower() for c in r.connectors})]
        if not rules:
            continue
        if people is None:
            people = contacts(conn)
        addresses: dict[str, str] = {}  # address → who (a user name, or the address itself)
        for rule in rules:
            for user in people.values():
                if user.email and (user.role in rule.roles or user.name in rule.users):
                    addresses.setdefault(user.email.lower(), user.name)
            for email in rule.emails:
                addresses.setdefault(email.lower(), email)
        hooks = sorted({url for rule in rules for url in rule.webhooks})
        common = {"kind": event.kind, "task_id": None, "created_at": event.at,
                  "subject": event.subject, "body": event.body, "link": event.link,
                  "attempts": 0, "delivered_to": "[]"}
        if settings.smtp is not None:
            rows += [{**common, "channel": EMAIL, "recipient": who, "email": email,
                      "payload": json.dumps(event.payload)}
                     for email, who in sorted(addresses.items())]
        if hooks:
            rows.append({**common, "channel": EVENT, "recipient": None, "email": None,
                         "payload": json.dumps({**event.payload, "webhooks": hooks,
                                                "recipients": sorted(addresses.values())})})
    if rows:
        conn.execute(sa.insert(outbox), rows)
    return len(rows)


def _name(project: Project, connector: str) -> str:
    found = project.connector(connector)
    return (found.display_name or found.identifier) if found else connector


def _counts(counters: Mapping[str, Any], prefix: str = "") -> dict[str, int]:
    """The run's counters as flat numbers (`orders.Directory_User.added`), for people and
    machines alike."""
    out: dict[str, int] = {}
    for key, value in counters.items():
        name = f"{prefix}{key}"
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            out[name] = value
        elif isinstance(value, Mapping):
            out |= _counts(value, f"{name}.")
    return out


def _newest_file(folder: Path, connector: Connector) -> tuple[Path, datetime] | None:
    """The newest file the connector's connections would read on this machine, and when it was
    written; None when its files are elsewhere (a remote agent's) or not there at all (a run
    fails and says so)."""
    if connector.agent == "remote":
        return None
    newest: tuple[Path, datetime] | None = None
    for connection in connector.connections:
        if not isinstance(connection, FileConnection) or connection.path is None:
            continue
        try:
            path = resolve_path(folder, connection.path, connection.path_is_regex,
                                connection.path_date_format, connection.path_date_group)
            modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except (SourceError, OSError):
            continue
        if newest is None or modified > newest[1]:
            newest = (path, modified)
    return newest
