"""Connector pages with their jobs, the Job Execution page and job results (SPEC §12): launch,
resume and cancel runs, download what a run set aside or left unresolved."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from headcount.jobs.blocked import cancel, resume
from headcount.policy.job import resource_types_fed_by
from headcount.project import ProjectContext
from headcount.repository import runs
from headcount.repository.changelist import KINDS, change_page
from headcount.repository.database import begin_write
from headcount.repository.runlist import RunFilter, actors, find_runs, launchers
from headcount.repository.runs import STATES, RunRecord
from headcount.repository.users import User
from headcount.scheduling import EVALUATE, JobRequest
from headcount.web import catalog
from headcount.web.api.catalog import connector_out
from headcount.web.api.models import Id
from headcount.web.api.runs import (
    order_rows,
    rejects_csv,
    run_out,
    unresolved_csv,
    unresolved_rows,
)
from headcount.web.auth import app_state, require
from headcount.web.changes import order_lines, run_change_lines
from headcount.web.export import ExportFormat, export_response
from headcount.web.i18n import gettext as _
from headcount.web.i18n import time_zone_of, use_locale
from headcount.web.jobs import job_names, open_job_runs
from headcount.web.launcher import Launched
from headcount.web.rendering import fragment, language_of, render
from headcount.workflows import history

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]
Operator = Annotated[User, Depends(require("run"))]
Admin = Annotated[User, Depends(require("admin"))]


PAGE_SIZE = 50
PAGE_SIZES = (25, 50, 100, 200)
EXPORT_BATCH = 5000
ONE_DAY = timedelta(days=1)


@router.get("/connectors/{name}", response_class=HTMLResponse)
def connector_page(request: Request, user: Reader, name: str) -> Response:
    state = app_state(request)
    info = connector_out(state, name)
    with state.engine.connect() as conn:
        records = runs.list_runs(conn, info.identifier, 20)
        launched = launchers(conn, records)
    project = state.project()
    found = project.connector(info.identifier)
    evaluates = bool(found and resource_types_fed_by(project, found))
    # A launched run uses the deployed configuration: say so when the files on disk differ.
    undeployed = ProjectContext(state.project_dir, state.engine).undeployed_changes()
    return render(request, "connector.html", {"connector": info,
                                              "runs": [run_out(state, r) for r in records],
                                              "durations": _durations(records),
                                              "launched": launched, "evaluates": evaluates,
                                              "undeployed": undeployed,
                                              "remote": bool(found and found.agent == "remote")},
                  user)


@router.get("/connectors/{name}/runs-table", response_class=HTMLResponse)
def connector_runs(request: Request, user: Reader, name: str) -> Response:
    state = app_state(request)
    info = connector_out(state, name)
    with state.engine.connect() as conn:
        records = runs.list_runs(conn, info.identifier, 20)
        launched = launchers(conn, records)
    return fragment(request, "_runs.html", {"runs": [run_out(state, r) for r in records],
                                            "durations": _durations(records),
                                            "launched": launched, "poll": info.identifier},
                    user)


@router.post("/connectors/{name}/runs")
def launch(request: Request, user: Operator, name: str,
           mode: Annotated[str, Form(pattern="^(complete|incremental|initial|)$")] = ""
           ) -> Response:
    state = app_state(request)
    connector = catalog.connector(state.project(), name)
    launched = state.launcher.launch(JobRequest(connector.identifier, mode=mode or None,
                                                actor=user.name))
    with begin_write(state.engine) as conn:
        runs.audit(conn, user.name, "launch", launched.target(connector.identifier), None)
    return _follow(launched)


@router.post("/connectors/{name}/evaluate")
def evaluate(request: Request, user: Operator, name: str) -> Response:
    state = app_state(request)
    connector = catalog.connector(state.project(), name)
    launched = state.launcher.launch(JobRequest(connector.identifier, tasks=(EVALUATE,),
                                                actor=user.name))
    with begin_write(state.engine) as conn:
        runs.audit(conn, user.name, "evaluate", launched.target(connector.identifier), None)
    return _follow(launched)


def _follow(launched: Launched) -> Response:
    # Not started yet (the connector is busy, or no worker runs): the Job Execution page lists
    # it among the queued job runs.
    if launched.run_id is None:
        return RedirectResponse(f"/runs#job-run-{launched.job_run_id}", status_code=303)
    return RedirectResponse(f"/runs/{launched.run_id}", status_code=303)


@router.get("/runs", response_class=HTMLResponse)
def job_execution(request: Request, user: Reader,
                  connector: Annotated[str | None, Query(max_length=128)] = None,
                  state: Annotated[str | None, Query(max_length=32)] = None,
                  actor: Annotated[str | None, Query(max_length=128)] = None,
                  since: Annotated[str | None, Query(max_length=32)] = None,
                  until: Annotated[str | None, Query(max_length=32)] = None,
                  size: Annotated[int, Query(ge=1, le=200)] = PAGE_SIZE,
                  page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
                  export: ExportFormat | None = None) -> Response:
    app = app_state(request)
    project = app.project()
    size = size if size in PAGE_SIZES else PAGE_SIZE
    first, last = _day(since), _day(until)
    named = project.connector(connector) if connector else None
    zone = ZoneInfo(time_zone_of(getattr(user, "time_zone", None)))
    chosen = RunFilter(
        named.identifier if named else (connector or None), state if state in STATES else None,
        actor or None, _start_of(first, zone), _start_of(last + ONE_DAY if last else None, zone))
    with app.engine.connect() as conn:
        total, found = find_runs(conn, chosen, None if export else size, (page - 1) * size)
        launched = launchers(conn, found)
        everyone = actors(conn)
    if export:
        with use_locale(*language_of(request, user)):
            return export_response(_("Job Execution"), [
                _("Run"), _("Connector"), _("Mode"), _("Dry run"), _("State"), _("Launched by"),
                _("Started"), _("Ended"), _("Duration (s)"), _("Inserted"), _("Updated"),
                _("Deleted"), _("Message")],
                ([r.id, r.connector, r.mode, r.dry_run, r.state, launched.get(r.id, ""),
                  r.started_at, r.finished_at,
                  round(r.duration, 3) if r.duration is not None else None,
                  r.counters.get("inserted"), r.counters.get("updated"),
                  r.counters.get("deleted"), r.message] for r in found), export)
    filters = {"connector": chosen.connector or "", "state": chosen.state or "",
               "actor": actor or "", "since": first.isoformat() if first else "",
               "until": last.isoformat() if last else ""}
    query = urlencode({k: v for k, v in {**filters, "size": size}.items() if v})
    waiting, names = open_job_runs(request)
    return render(request, "runs.html", {
        "job_runs": waiting, "names": names, "job_names": job_names(project),
        "runs": [run_out(app, r) for r in found], "durations": _durations(found),
        "launched": launched, "total": total, "page": page, "size": size,
        "sizes": PAGE_SIZES, "pages": max(1, -(-total // size)), "filters": filters,
        "query": query, "connectors": [c.identifier for c in project.connectors],
        "states": STATES, "actors": everyone}, user)


def _day(text: str | None) -> date | None:
    """A day of the filter form; an empty field (or one a browser left malformed) is no bound."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _start_of(day: date | None, zone: ZoneInfo) -> datetime | None:
    """The moment `day` starts in the user's time zone, in UTC as stored."""
    if day is None:
        return None
    return datetime.combine(day, time.min, zone).astimezone(UTC)


def _durations(records: list[RunRecord]) -> dict[int, float | None]:
    return {r.id: r.duration for r in records}


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, user: Reader, run_id: Id,
             kind: Annotated[str | None, Query(pattern="^(insert|update|delete|link_insert|"
                                                       "link_delete)$")] = None,
             page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
             orders: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
             workflows: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
             unresolved: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
             export: ExportFormat | None = None,
             listed: Annotated[str, Query(alias="list", pattern="^(changes|orders)$")] = "changes"
             ) -> Response:
    if export:
        with use_locale(*language_of(request, user)):
            if listed == "orders":
                return _export_orders(request, run_id, export)
            return _export_changes(request, run_id, kind, export)
    context = _run_context(request, run_id, kind, page, orders, workflows)
    total, refs = unresolved_rows(app_state(request), run_id, PAGE_SIZE,
                                  (unresolved - 1) * PAGE_SIZE)
    context.update({"unresolved": refs, "unresolved_total": total,
                    "unresolved_page": unresolved,
                    "unresolved_pages": max(1, -(-total // PAGE_SIZE))})
    return render(request, "run.html", context, user)


@router.get("/runs/{run_id}/status", response_class=HTMLResponse)
def run_status(request: Request, user: Reader, run_id: Id) -> Response:
    context = _run_context(request, run_id, None, 1, 1, 1)
    return fragment(request, "_run_status.html", context, user)


def _run_context(request: Request, run_id: int, kind: str | None, page: int,
                 orders_page: int, workflows_page: int) -> dict[str, Any]:
    state = app_state(request)
    project = state.project()
    with state.engine.connect() as conn:
        record = runs.get_run(conn, run_id)
        log = runs.logs(conn, run_id)
        total, rows = change_page(conn, run_id, kind, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        changes = run_change_lines(conn, project, run_id, record.mode, record.files, rows)
        launched = launchers(conn, [record]).get(run_id)
    orders_total, orders = order_rows(state, run_id, PAGE_SIZE, (orders_page - 1) * PAGE_SIZE)
    with state.engine.connect() as conn:
        lines = order_lines(conn, project, orders)
        workflows_total, started = history.of_run(conn, run_id, PAGE_SIZE,
                                                  (workflows_page - 1) * PAGE_SIZE)
    found = project.connector(record.connector)
    return {"run": run_out(state, record), "record": record, "log": log, "changes": changes,
            "changes_total": total, "kind": kind, "launched_by": launched,
            "connector_name": (found.display_name or found.identifier) if found
            else record.connector,
            "orders": lines, "orders_total": orders_total, "orders_page": orders_page,
            "orders_pages": max(1, -(-orders_total // PAGE_SIZE)),
            "workflows": started, "workflows_total": workflows_total,
            "workflows_page": workflows_page,
            "workflows_pages": max(1, -(-workflows_total // PAGE_SIZE)),
            "kinds": KINDS, "page": page, "pages": max(1, -(-total // PAGE_SIZE))}


def _export_changes(request: Request, run_id: int, kind: str | None, fmt: ExportFormat
                    ) -> Response:
    """Every change of the run (its staged changes, for a blocked run) of the page's kind."""
    state = app_state(request)
    project = state.project()
    rows: list[list[Any]] = []
    with state.engine.connect() as conn:
        record = runs.get_run(conn, run_id)
        offset, total = 0, 1
        while offset < total:
            total, page = change_page(conn, run_id, kind, EXPORT_BATCH, offset)
            offset += EXPORT_BATCH
            rows += [[c.kind, c.entity_type_name, c.resource.key, c.resource.name, c.detail,
                      c.origin] for c in run_change_lines(conn, project, run_id, record.mode,
                                                          record.files, page)]
    return export_response(_("Run %(id)s changes", id=run_id), [
        _("Change"), _("Entity type"), _("Key"), _("Name"), _("Detail"), _("Source")], rows, fmt)


def _export_orders(request: Request, run_id: int, fmt: ExportFormat) -> Response:
    """Every provisioning order of the run (the preview, for a blocked or dry run)."""
    state = app_state(request)
    project = state.project()
    rows: list[list[Any]] = []
    offset, total = 0, 1
    while offset < total:
        total, page = order_rows(state, run_id, EXPORT_BATCH, offset)
        offset += EXPORT_BATCH
        with state.engine.connect() as conn:
            rows += [[o.kind, o.resource_type, o.target.key, o.target.name,
                      o.source.key if o.source else "", o.source.name if o.source else "",
                      o.detail] for o in order_lines(conn, project, page)]
    return export_response(_("Run %(id)s orders", id=run_id), [
        _("Order"), _("Resource type"), _("Target key"), _("Target"), _("Source key"),
        _("Source"), _("Changes")], rows, fmt)


@router.get("/runs/{run_id}/set-aside.csv")
def run_rejects(request: Request, user: Reader, run_id: Id) -> Response:
    return Response(rejects_csv(app_state(request), run_id), media_type="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="run-{run_id}-set-aside.csv"'})


@router.get("/runs/{run_id}/unresolved.csv")
def run_unresolved(request: Request, user: Reader, run_id: Id) -> Response:
    return Response(unresolved_csv(app_state(request), run_id), media_type="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="run-{run_id}-unresolved.csv"'})


@router.post("/runs/{run_id}/resume")
def resume_run(request: Request, user: Operator, run_id: Id,
               reason: Annotated[str, Form(min_length=1, max_length=2000,
                                           pattern=r"^[^\x00]*$")],
               expected_orders: Annotated[int, Form(ge=0, le=2**31 - 1)],
               expected_preview: Annotated[str, Form(max_length=64,
                                                     pattern=r"^[0-9a-f]*$")] = "") -> Response:
    state = app_state(request)
    resume(ProjectContext(state.project_dir, state.engine), run_id, reason, actor=user.name,
           expected_orders=expected_orders, expected_preview=expected_preview or None)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.post("/runs/{run_id}/cancel")
def cancel_run(request: Request, user: Operator, run_id: Id,
               reason: Annotated[str, Form(min_length=1, max_length=2000,
                                           pattern=r"^[^\x00]*$")]) -> Response:
    state = app_state(request)
    cancel(ProjectContext(state.project_dir, state.engine), run_id, reason, actor=user.name)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


