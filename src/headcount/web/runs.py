"""Connector pages with their jobs, the Job Execution page and job results (SPEC §12): launch,
resume and cancel runs, download what a run set aside or left unresolved."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from headcount.jobs.blocked import cancel, resume
from headcount.jobs.synchronization import SyncRequest
from headcount.policy.job import resource_types_fed_by
from headcount.project import ProjectContext
from headcount.repository import runs
from headcount.repository.changelist import KINDS
from headcount.repository.database import begin_write
from headcount.repository.users import User
from headcount.web import catalog
from headcount.web.api.catalog import connector_out
from headcount.web.api.models import Id
from headcount.web.api.runs import (
    change_rows,
    order_rows,
    rejects_csv,
    run_out,
    unresolved_csv,
    unresolved_rows,
)
from headcount.web.auth import app_state, require
from headcount.web.rendering import render
from headcount.workflows import history

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]
Operator = Annotated[User, Depends(require("run"))]
Admin = Annotated[User, Depends(require("admin"))]


PAGE_SIZE = 50


@router.get("/connectors/{name}", response_class=HTMLResponse)
def connector_page(request: Request, user: Reader, name: str) -> Response:
    state = app_state(request)
    info = connector_out(state, name)
    with state.engine.connect() as conn:
        latest = [run_out(state, r) for r in runs.list_runs(conn, info.identifier, 20)]
    project = state.project()
    found = project.connector(info.identifier)
    evaluates = bool(found and resource_types_fed_by(project, found))
    # A launched run uses the deployed configuration: say so when the files on disk differ.
    undeployed = ProjectContext(state.project_dir, state.engine).undeployed_changes()
    return render(request, "connector.html", {"connector": info, "runs": latest,
                                              "evaluates": evaluates,
                                              "undeployed": undeployed}, user)


@router.get("/connectors/{name}/runs-table", response_class=HTMLResponse)
def connector_runs(request: Request, user: Reader, name: str) -> Response:
    state = app_state(request)
    info = connector_out(state, name)
    with state.engine.connect() as conn:
        latest = [run_out(state, r) for r in runs.list_runs(conn, info.identifier, 20)]
    return render(request, "_runs.html", {"runs": latest, "poll": info.identifier}, user)


@router.post("/connectors/{name}/runs")
def launch(request: Request, user: Operator, name: str,
           mode: Annotated[str, Form(pattern="^(complete|incremental|initial|)$")] = ""
           ) -> Response:
    state = app_state(request)
    connector = catalog.connector(state.project(), name)
    run_id = state.launcher.launch(SyncRequest(connector.identifier, mode or None,
                                               actor=user.name))
    with begin_write(state.engine) as conn:
        runs.audit(conn, user.name, "launch", f"run {run_id} of {connector.identifier}", None)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.post("/connectors/{name}/evaluate")
def evaluate(request: Request, user: Operator, name: str) -> Response:
    state = app_state(request)
    connector = catalog.connector(state.project(), name)
    run_id = state.launcher.launch_evaluation(connector.identifier, user.name)
    with begin_write(state.engine) as conn:
        runs.audit(conn, user.name, "evaluate", f"run {run_id} of {connector.identifier}", None)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.get("/runs", response_class=HTMLResponse)
def job_execution(request: Request, user: Reader,
                  page: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> Response:
    state = app_state(request)
    with state.engine.connect() as conn:
        latest = [run_out(state, r) for r in runs.list_runs(conn, None, PAGE_SIZE + 1,
                                                            (page - 1) * PAGE_SIZE)]
    return render(request, "runs.html", {"runs": latest[:PAGE_SIZE], "page": page,
                                         "more": len(latest) > PAGE_SIZE}, user)


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, user: Reader, run_id: Id,
             kind: Annotated[str | None, Query(pattern="^(insert|update|delete|link_insert|"
                                                       "link_delete)$")] = None,
             page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
             unresolved: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> Response:
    context = _run_context(request, run_id, kind, page)
    total, refs = unresolved_rows(app_state(request), run_id, PAGE_SIZE,
                                  (unresolved - 1) * PAGE_SIZE)
    context.update({"unresolved": refs, "unresolved_total": total,
                    "unresolved_page": unresolved,
                    "unresolved_pages": max(1, -(-total // PAGE_SIZE))})
    return render(request, "run.html", context, user)


@router.get("/runs/{run_id}/status", response_class=HTMLResponse)
def run_status(request: Request, user: Reader, run_id: Id) -> Response:
    context = _run_context(request, run_id, None, 1)
    return render(request, "_run_status.html", context, user)


def _run_context(request: Request, run_id: int, kind: str | None, page: int) -> dict[str, Any]:
    state = app_state(request)
    with state.engine.connect() as conn:
        run = run_out(state, runs.get_run(conn, run_id))
        log = runs.logs(conn, run_id)
    total, rows = change_rows(state, run_id, kind, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    orders_total, orders = order_rows(state, run_id, PAGE_SIZE, 0)
    with state.engine.connect() as conn:
        workflows_total, started = history.of_run(conn, run_id, PAGE_SIZE, 0)
    return {"run": run, "log": log, "changes": rows, "changes_total": total, "kind": kind,
            "orders": orders, "orders_total": orders_total,
            "workflows": started, "workflows_total": workflows_total,
            "kinds": KINDS, "page": page, "pages": max(1, -(-total // PAGE_SIZE))}


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


