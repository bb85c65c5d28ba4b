"""What the pages say in words rather than codes (issue 12): change and order kinds, run states
and modes, durations ("1 min 12 s") and sizes ("3.4 MB"), in the request's language."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_decimal

from headcount.display import shown
from headcount.web.i18n import current_language, format_date, format_datetime, format_number
from headcount.web.i18n import gettext as _


def change_kind(kind: str) -> str:
    """A change's kind (insert, update, delete, link_insert, link_delete) as a word."""
    words = {"insert": _("Created"), "update": _("Changed"), "delete": _("Deleted"),
             "link_insert": _("Linked"), "link_delete": _("Unlinked")}
    return words.get(kind, kind)


def order_kind(kind: str) -> str:
    """A provisioning order's kind (added, modified, deleted) as a word."""
    words = {"added": _("Add"), "modified": _("Modify"), "deleted": _("Delete")}
    return words.get(kind, kind)


def run_state(state: str) -> str:
    words = {"running": _("Running"), "succeeded": _("Succeeded"),
             "succeeded with warnings": _("Succeeded with warnings"), "failed": _("Failed"),
             "blocked": _("Blocked: waiting for a decision"), "cancelled": _("Cancelled"),
             "interrupted": _("Interrupted")}
    return words.get(state, state)


def state(name: str | None) -> str:
    """The state of a workflow, task, campaign, item, upload, held value or job run
    (docs/jobs.md), as people read it; one unknown here reads as stored."""
    if not name:
        return ""
    words = {
        "running": _("running"), "completed": _("completed"), "aborted": _("aborted"),
        "planned": _("planned"), "open": _("open"), "closed": _("closed"),
        "pending": _("pending"), "approved": _("approved"), "declined": _("declined"),
        "executed": _("executed"), "escalated": _("escalated"), "delegated": _("delegated"),
        "draft": _("draft"), "active": _("active"), "decided": _("decided"),
        "final": _("final"), "cancelled": _("cancelled"), "refused": _("refused"),
        "errors": _("errors"), "verified": _("verified"), "loaded": _("loaded"),
        "blocked": _("blocked"), "rolled back": _("rolled back"), "failed": _("failed"),
        "unreconciled": _("unreconciled"), "postponed": _("postponed"),
        "protected": _("protected"), "questioned": _("questioned"), "override": _("override"),
        "resolved": _("resolved"), "queued": _("queued"),
        "waiting": _("waiting for an agent"), "succeeded": _("succeeded"),
        "warnings": _("succeeded with warnings"), "skipped": _("skipped"),
        "interrupted": _("interrupted")}
    return words.get(name, name)


def trigger(name: str) -> str:
    """Why a job run exists (scheduling/request.py), as people read it."""
    words = {"schedule": _("schedule"), "catch-up": _("catch-up of a missed time"),
             "launch": _("launch"), "agent": _("agent delivery"),
             "push": _("pushed records"), "retry": _("retry")}
    return words.get(name, name)


def role(name: str) -> str:
    """A role (roles.py) as people read it."""
    words = {"administrator": _("administrator"), "operator": _("operator"), "hr": _("HR"),
             "reviewer": _("reviewer"), "viewer": _("viewer")}
    return words.get(name, name)


def run_mode(mode: str) -> str:
    words = {"initial": _("Initial"), "complete": _("Complete"),
             "incremental": _("Incremental"), "evaluation": _("Date evaluation"),
             "workflow": _("Workflow"), "manual": _("Manual edit"),
             "reconciliation": _("Reconciliation"), "upload": _("Upload")}
    return words.get(mode, mode)


def duration(seconds: float | None) -> str:
    """'1 min 12 s', '2 h 05 min', '0.4 s'; empty for an unknown duration."""
    if seconds is None:
        return ""
    if seconds < 10:
        return _("%(n)s s", n=format_decimal(round(max(seconds, 0.0), 1),
                                            locale=current_language()))
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(h)s h %(m)02d min", h=hours, m=minutes)
    if minutes:
        return _("%(m)s min %(s)s s", m=minutes, s=secs)
    return _("%(n)s s", n=secs)


def size(octets: int | float | None) -> str:
    """A file size in bytes for people: '812 B', '3.4 MB' (decimal units, as file managers)."""
    if octets is None:
        return ""
    units = (_("%(n)s B"), _("%(n)s kB"), _("%(n)s MB"), _("%(n)s GB"), _("%(n)s TB"))
    value, unit = float(octets), 0
    while value >= 1000 and unit < len(units) - 1:
        value, unit = value / 1000, unit + 1
    shown = round(value) if unit == 0 or value >= 100 else round(value, 1)
    return units[unit] % {"n": format_decimal(shown, locale=current_language())}


def typed(value: Any, kind: str) -> str:
    """A property's value as its type reads in the request's language: a date as a day
    ("30 nov. 2026"), a moment in the user's time zone, a number grouped, a boolean as yes / no;
    empty is `—`, and a value that does not parse as its type reads as stored."""
    if value is None or value == "" or value == []:
        return shown(value)
    if isinstance(value, list | tuple):
        return ", ".join(typed(v, kind) for v in value)
    if kind == "date":
        return format_date(value) if isinstance(value, str) else shown(value)
    if kind == "datetime":
        return format_datetime(value) if isinstance(value, str) else shown(value)
    if kind == "bool" and isinstance(value, bool | str):
        truth = {"true": True, "false": False}.get(str(value).lower())
        return shown(value) if truth is None else (_("yes") if truth else _("no"))
    if kind in ("int", "decimal") and not isinstance(value, bool):
        try:
            return format_number(Decimal(str(value)))
        except InvalidOperation:
            return shown(value)
    return shown(value)
