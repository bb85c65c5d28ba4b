"""Runs: launch, job results, changes, set-aside rows, resume and cancel."""

from __future__ import annotations

import io
import json
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import Response

from headcount.jobs.blocked import cancel, resume
from headcount.jobs.synchronization import SyncRequest
from headcount.project import ProjectContext
from headcount.repository import runs
from headcount.repository.changelist import ChangeRow, change_page
from headcount.repository.database import begin_write
from headcount.repository.references import (
    PendingReference,
    pending_page,
    why,
    write_pending_csv,
)
from headcount.repository.rejects import write_rejects
from headcount.repository.runs import RunRecord
from headcount.repository.schema import provisioning_orders
from headcount.repository.users import User
from headcount.scheduling import EVALUATE, JobRequest
from headcount.web import catalog
from headcount.web.api.errors import GUARDED, responses
from headcount.web.api.models import (
    ChangeOut,
    Id,
    LaunchIn,
    LaunchOut,
    LinkChangeOut,
    LogOut,
    OrderOut,
    ReasonIn,
    ResumeIn,
    RunOut,
    RunWorkflowOut,
    UnresolvedOut,
    UnresolvedPage,
)
from headcount.web.auth import app_state, require
from headcount.web.state import AppState
from headcount.workflows import history

router = APIRouter(tags=["runs"], responses=responses(*GUARDED))
Reader = Annotated[User, Depends(require("read"))]
Operator = Annotated[User, Depends(require("run"))]


def run_out(state: AppState, run: RunRecord) -> RunOut:
    return RunOut(id=run.id, connector=run.connector, mode=run.mode, state=run.state,
                  dry_run=run.dry_run, forced=run.forced, message=run.message,
                  started_at=run.started_at, finished_at=run.finished_at,
                  counters=run.counters, timings=run.timings, files=run.files,
                  step=state.launcher.step(run.id) if run.state == runs.RUNNING else None)


@router.post("/connectors/{name}/runs", response_model=LaunchOut,
             status_code=status.HTTP_202_ACCEPTED, responses=responses(404, 409, 422))
def launch(request: Request, user: Operator, name: str, body: LaunchIn) -> LaunchOut:
    """Launch a synchronization of the connector; follow it at /api/runs/{run_id}."""
    state = app_state(request)
    connector = catalog.connector(state.project(), name)
    if body.dry_run:
        run_id = state.launcher.preview(SyncRequest(connector.identifier, body.mode, True,
                                                    actor=user.name))
        with begin_write(state.engine) as conn:
            runs.audit(conn, user.name, "launch", f"run {run_id} of {connector.identifier}",
                       None)
        return LaunchOut(run_id=run_id)
    launched = state.launcher.launch(JobRequest(connector.identifier, mode=body.mode,
                                                actor=user.name))
    with begin_write(state.engine) as conn:
        runs.audit(conn, user.name, "launch", launched.target(connector.identifier), None)
    return LaunchOut(run_id=launched.run_id, job_run_id=launched.job_run_id)


@router.post("/connectors/{name}/evaluate", response_model=LaunchOut,
             status_code=status.HTTP_202_ACCEPTED, responses=responses(404, 409, 422))
def evaluate(request: Request, user: Operator, name: str) -> LaunchOut:
    """Launch the date evaluation of the resource types fed by the connector (SPEC §8): joiners
    and leavers on their dates, dated records, expired overrides, retention; no new file."""
    state = app_state(request)
    connector = catalog.connector(state.project(), name)
    launched = state.launcher.launch(JobRequest(connector.identifier, tasks=(EVALUATE,),
                                                actor=user.name))
    with begin_write(state.engine) as conn:
        runs.audit(conn, user.name, "evaluate", launched.target(connector.identifier), None)
    return LaunchOut(run_id=launched.run_id, job_run_id=launched.job_run_id)


@router.get("/runs", response_model=list[RunOut], responses=responses(404, 422))
def list_runs(request: Request, user: Reader, connector: str | None = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 50,
              offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> list[RunOut]:
    """The Job Execution list, newest first."""
    state = app_state(request)
    name = catalog.connector(state.project(), connector).identifier if connector else None
    with state.engine.connect() as conn:
        return [run_out(state, r) for r in runs.list_runs(conn, name, limit, offset)]


@router.get("/runs/{run_id}", response_model=RunOut, responses=responses(404, 422))
def get_run(request: Request, user: Reader, run_id: Id) -> RunOut:
    state = app_state(request)
    with state.engine.connect() as conn:
        return run_out(state, runs.get_run(conn, run_id))


@router.get("/runs/{run_id}/log", response_model=list[LogOut],
            responses=responses(404, 422))
def get_log(request: Request, user: Reader, run_id: Id) -> list[LogOut]:
    state = app_state(request)
    with state.engine.connect() as conn:
        runs.get_run(conn, run_id)
        return [LogOut(at=a, level=lv, message=m) for a, lv, m in runs.logs(conn, run_id)]


def change_rows(state: AppState, run_id: int, kind: str | None, limit: int, offset: int
                ) -> tuple[int, list[ChangeOut]]:
    with state.engine.connect() as conn:
        total, rows = change_page(conn, run_id, kind, limit, offset)
    return total, [_change_out(r) for r in rows]


def _change_out(row: ChangeRow) -> ChangeOut:
    return ChangeOut(kind=row.kind, entity_type=row.entity_type, key=row.key,
                     navigation=row.navigation, target_key=row.target_key, data=row.data,
                     connection=row.connection, line=row.line,
                     links=[LinkChangeOut(navigation=n.navigation, target_type=n.target_type,
                                          target_key=n.target_key, line=n.line)
                            for n in row.links])


@router.get("/runs/{run_id}/changes", response_model=list[ChangeOut],
            responses=responses(404, 422))
def get_changes(request: Request, user: Reader, run_id: Id,
                kind: Annotated[str | None, Query(pattern="^(insert|update|delete|link_insert|"
                                                          "link_delete)$")] = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0) -> list[ChangeOut]:
    """The change list of a run (staged, for a blocked run), paged, filterable by kind. An
    inserted resource carries its links; kind=link_insert lists them with the other link
    inserts."""
    return change_rows(app_state(request), run_id, kind, limit, offset)[1]


def unresolved_rows(state: AppState, run_id: int, limit: int, offset: int
                    ) -> tuple[int, list[UnresolvedOut]]:
    with state.engine.connect() as conn:
        total, refs = pending_page(conn, run_id, limit, offset)
    return total, [_unresolved_out(r) for r in refs]


def _unresolved_out(ref: PendingReference) -> UnresolvedOut:
    return UnresolvedOut(entity_type=ref.entity_type, key=ref.key, navigation=ref.navigation,
                         target_type=ref.target_type, target_key=ref.target_key,
                         cause=ref.cause, connection=ref.connection, line=ref.line, new=ref.new,
                         explanation=why(ref))


@router.get("/runs/{run_id}/unresolved", response_model=UnresolvedPage,
            responses=responses(404, 422))
def get_unresolved(request: Request, user: Reader, run_id: Id,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                   offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0) -> UnresolvedPage:
    """Every reference the run left pending (its target does not exist), paged, with why:
    the target absent from the file, or its row set aside by the run."""
    total, items = unresolved_rows(app_state(request), run_id, limit, offset)
    return UnresolvedPage(total=total, items=items)


def unresolved_csv(state: AppState, run_id: int) -> str:
    out = io.StringIO()
    with state.engine.connect() as conn:
        write_pending_csv(conn, run_id, out)
    return out.getvalue()


@router.get("/runs/{run_id}/unresolved.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}, **responses(404, 422)})
def get_unresolved_csv(request: Request, user: Reader, run_id: Id) -> Response:
    """Every reference the run left pending, as CSV."""
    return Response(unresolved_csv(app_state(request), run_id), media_type="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="run-{run_id}-unresolved.csv"'})


def order_rows(state: AppState, run_id: int, limit: int, offset: int
               ) -> tuple[int, list[OrderOut]]:
    with state.engine.connect() as conn:
        runs.get_run(conn, run_id)
        where = provisioning_orders.c.run_id == run_id
        total = int(conn.execute(sa.select(sa.func.count()).select_from(provisioning_orders)
                                 .where(where)).scalar_one())
        rows = conn.execute(sa.select(
            provisioning_orders.c.resource_type, provisioning_orders.c.kind,
            provisioning_orders.c.source_key, provisioning_orders.c.target_key,
            provisioning_orders.c.changes).where(where).order_by(provisioning_orders.c.id)
            .limit(limit).offset(offset)).all()
    return total, [OrderOut(resource_type=r, kind=k, source_key=s, target_key=t,
                            changes=json.loads(c)) for r, k, s, t, c in rows]


@router.get("/runs/{run_id}/orders", response_model=list[OrderOut],
            responses=responses(404, 422))
def get_orders(request: Request, user: Reader, run_id: Id,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0) -> list[OrderOut]:
    """The provisioning orders of a run (those a dry run would give, for a dry run)."""
    return order_rows(app_state(request), run_id, limit, offset)[1]


@router.get("/runs/{run_id}/workflows", response_model=list[RunWorkflowOut],
            responses=responses(404, 422))
def get_workflows(request: Request, user: Reader, run_id: Id,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                  offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0
                  ) -> list[RunWorkflowOut]:
    """The workflows a run started (those it would start, for a dry run or a blocked run)."""
    with app_state(request).engine.connect() as conn:
        runs.get_run(conn, run_id)
        _, started = history.of_run(conn, run_id, limit, offset)
    return [RunWorkflowOut(id=w.id, workflow=w.workflow, entity_type=w.entity_type,
                           subject_key=w.subject_key, message=w.message, state=w.state,
                           started_at=w.started_at, run_id=w.run_id, resources=w.changes,
                           open_task=w.open_task) for w in started]


def rejects_csv(state: AppState, run_id: int) -> str:
    out = io.StringIO()
    with state.engine.connect() as conn:
        write_rejects(conn, run_id, out)
    return out.getvalue()


@router.get("/runs/{run_id}/rejects", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}, **responses(404, 422)})
def get_rejects(request: Request, user: Reader, run_id: Id) -> Response:
    """The rows a run set aside, as CSV with their line numbers and reasons."""
    return Response(rejects_csv(app_state(request), run_id), media_type="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="run-{run_id}-set-aside.csv"'})


@router.post("/runs/{run_id}/resume", response_model=RunOut,
             responses=responses(404, 409, 422))
def post_resume(request: Request, user: Operator, run_id: Id, body: ResumeIn) -> RunOut:
    """Apply exactly the staged changes of a blocked run, and the provisioning orders its
    preview shows (recorded in the audit log). Refused (409) when `expected_orders` is not the
    preview's count, or when the repository moved since and the orders differ: the preview is
    then recomputed, to be confirmed again."""
    state = app_state(request)
    ctx = ProjectContext(state.project_dir, state.engine)
    return run_out(state, resume(ctx, run_id, body.reason, actor=user.name,
                                 expected_orders=body.expected_orders,
                                 expected_preview=body.expected_preview))


@router.post("/runs/{run_id}/cancel", response_model=RunOut,
             responses=responses(404, 409, 422))
def post_cancel(request: Request, user: Operator, run_id: Id, body: ReasonIn) -> RunOut:
    """Drop the staged changes of a blocked run."""
    state = app_state(request)
    ctx = ProjectContext(state.project_dir, state.engine)
    return run_out(state, cancel(ctx, run_id, body.reason, actor=user.name))


