"""The audit log (SPEC §13): who did what, when — filtered by actor, action, target and days,
sorted, paged and exported like every list (web/tables.py); runs, cases and tasks in entries
are links, resources read by their names."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from headcount.config.model import Project
from headcount.repository.names import display_names
from headcount.repository.schema import audit_log
from headcount.repository.users import User
from headcount.web import i18n, tables
from headcount.web.auth import app_state, require
from headcount.web.export import export_response
from headcount.web.i18n import format_number, ngettext
from headcount.web.i18n import gettext as _
from headcount.web.rendering import language_of, render
from headcount.web.tables import Column, Filter, Kind, Operator, Table

router = APIRouter(include_in_schema=False)
Admin = Annotated[User, Depends(require("admin"))]

COLUMNS = {"at": audit_log.c.at, "actor": audit_log.c.actor, "action": audit_log.c.action,
           "target": audit_log.c.target, "reason": audit_log.c.reason}
# What an entry's target names that has a page of its own.
LINKED = re.compile(r"\b(run|case|task) (\d+)\b")
PAGES = {"run": "/runs/{}", "case": "/correlation-cases/{}", "task": "/tasks/{}"}


@dataclass(frozen=True)
class Part:
    """A piece of an entry's target: text, a link, or a resource by its name."""

    text: str
    href: str | None = None
    resource: tuple[str, str] | None = None  # (entity type, key)


def columns() -> list[Column]:
    return [Column("at", _("When"), Kind.DATE), Column("actor", _("Who")),
            Column("action", _("Action")), Column("target", _("On")),
            Column("reason", _("Reason"))]


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, user: Admin) -> Response:
    state = app_state(request)
    language, zone = language_of(request, user)
    with i18n.use_locale(language, zone):
        shown = columns()
        query = tables.parse(request.query_params.multi_items(), shown, sort="at", desc=True)
        where = [_condition(f, i18n.current_time_zone()) for f in query.filters]
    if query.added and not query.problems:
        return RedirectResponse(request.url.path + query.href(), 303)
    order = COLUMNS[query.sort or "at"]
    ordering = [order.desc() if query.desc else order.asc(),
                audit_log.c.id.desc() if query.desc else audit_log.c.id.asc()]
    select = sa.select(audit_log).where(*where).order_by(*ordering)
    with state.engine.connect() as conn:
        total = int(conn.execute(sa.select(sa.func.count()).select_from(audit_log)
                                 .where(*where)).scalar_one())
        if not query.export:
            select = select.limit(query.size).offset(query.offset)
        rows = conn.execute(select).all()
        project = state.project()
        parts = {r.id: _parts(r.target or "", project) for r in rows}
        names = display_names(conn, project, {p.resource for ps in parts.values() for p in ps
                                              if p.resource})
    named = {r.id: [replace(p, text=names.get(p.resource, p.text)) if p.resource else p
                    for p in parts[r.id]] for r in rows}
    if query.export:
        with i18n.use_locale(language, zone):
            headers, title = [c.label for c in shown] + [_("Resource")], _("Audit log")
        return export_response(title, headers, (
            [r.at, r.actor, r.action, r.target, r.reason,
             ", ".join(f"{p.text} ({p.resource[1]})" for p in named[r.id] if p.resource)]
            for r in rows),
            query.export)
    table = Table(shown, query, total, _counted)
    return render(request, "audit.html", {"rows": rows, "table": table, "parts": named}, user)


def _counted(n: int) -> str:
    return ngettext("%(count)s entry", "%(count)s entries", n, count=format_number(n))


def _parts(target: str, project: Project) -> list[Part]:
    """The target cut into text and links: 'run 42 of HR' links the run; 'HR_Person E00002
    Title' starts with a resource."""
    head, _, rest = target.partition(" ")
    key, _, tail = rest.partition(" ")
    if key and project.entity_type(head) is not None:
        link = f"/entity-types/{quote(head)}/{quote(key, safe='')}"
        return [Part(key, link, (head, key)), *([Part(" " + tail)] if tail else [])]
    out: list[Part] = []
    last = 0
    for found in LINKED.finditer(target):
        if found.start() > last:
            out.append(Part(target[last:found.start()]))
        out.append(Part(found.group(0), PAGES[found.group(1)].format(found.group(2))))
        last = found.end()
    if last < len(target):
        out.append(Part(target[last:]))
    return out


def _condition(f: Filter, zone: str) -> sa.ColumnElement[bool]:
    column: Any = COLUMNS[f.column]
    if f.operator is Operator.EMPTY:
        return sa.or_(column.is_(None), column == "") if f.column != "at" else column.is_(None)
    if f.operator is Operator.FILLED:
        return sa.and_(column.is_not(None), column != "") if f.column != "at" \
            else column.is_not(None)
    if f.column == "at":
        # A day in the reader's time zone: from its first moment to the next day's.
        start = _moment(f.value, zone)
        end = start + timedelta(days=1) if "T" not in f.value else start
        if f.operator is Operator.BEFORE:
            return sa.and_(column < start)
        if f.operator is Operator.AFTER:
            return sa.and_(column >= end)
        return sa.and_(column >= start, column < end)
    low = sa.func.lower(column)
    text = f.value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if f.operator is Operator.CONTAINS:
        return low.like(f"%{text}%", escape="\\")
    if f.operator is Operator.STARTS:
        return low.like(f"{text}%", escape="\\")
    return sa.and_(low == f.value.lower())


def _moment(value: str, zone: str) -> datetime:
    # Stored moments are UTC (SQLite keeps no offset): compare with UTC.
    if "T" in value:
        moment = datetime.fromisoformat(value)
        aware = moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))
        return aware.astimezone(UTC)
    return datetime.combine(date.fromisoformat(value), time.min, ZoneInfo(zone)).astimezone(UTC)
