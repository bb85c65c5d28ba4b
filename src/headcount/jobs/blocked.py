"""What happens to a blocked run (SPEC §4.4): resume applies exactly its staged changes, with a
reason recorded in the audit log; cancel drops them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import polars as pl
import sqlalchemy as sa

from headcount.errors import RunRefused
from headcount.jobs.synchronization import remember_file
from headcount.policy.job import order_counts, run_policy
from headcount.project import ProjectContext
from headcount.repository import accepted as snapshots
from headcount.repository import runs
from headcount.repository.apply import apply_changes
from headcount.repository.database import begin_write
from headcount.repository.locks import RunLock
from headcount.repository.references import record_pending, split_link_counters
from headcount.repository.schema import changes, connector_state
from headcount.sync.changes import LINK_SCHEMA, RESOURCE_SCHEMA, ChangeSet


def staged_changes(conn: sa.Connection, run_id: int) -> ChangeSet:
    rows = conn.execute(sa.select(
        changes.c.kind, changes.c.entity_type, changes.c.resource_key, changes.c.navigation,
        changes.c.target_key, changes.c.data, changes.c.after, changes.c.hash,
        changes.c.connection, changes.c.line,
    ).where(changes.c.run_id == run_id).order_by(changes.c.id)).all()
    res, lnk = [], []
    for kind, et, key, nav, tkey, data, after, h, cid, line in rows:
        if kind.startswith("link_"):
            lnk.append({"kind": kind, "entity_type": et, "key": key, "navigation": nav,
                        "target_type": json.loads(data)["target_type"], "target_key": tkey,
                        "connection": cid, "line": line})
        else:
            if kind == "insert" and after:
                lnk += [{"kind": "link_insert", "entity_type": et, "key": key,
                         "navigation": link["navigation"], "target_type": link["target_type"],
                         "target_key": link["target_key"], "connection": cid,
                         "line": link["line"]} for link in json.loads(after)["links"]]
                after = None
            res.append({"kind": kind, "entity_type": et, "key": key, "data": data,
                        "after": after, "hash": h, "connection": cid, "line": line})
    return ChangeSet(pl.DataFrame(res, schema=RESOURCE_SCHEMA),
                     pl.DataFrame(lnk, schema=LINK_SCHEMA))


def _blocked_run(conn: sa.Connection, run_id: int) -> runs.RunRecord:
    run = runs.get_run(conn, run_id)
    if run.state != runs.BLOCKED:
        raise RunRefused(f"run {run_id} is {run.state}, not blocked: only a blocked run can be "
                         "resumed or cancelled")
    return run


@contextmanager
def _connector_lock(ctx: ProjectContext, run_id: int) -> Iterator[None]:
    """Resume and cancel hold the connector's RunLock, like a run."""
    with ctx.engine.connect() as conn:
        connector = _blocked_run(conn, run_id).connector
    lock = RunLock(ctx.engine, connector)
    if not lock.try_acquire():
        with ctx.engine.connect() as conn:
            raise runs.refuse_running(conn, connector)
    with lock:
        yield


def resume(ctx: ProjectContext, run_id: int, reason: str, actor: str = "cli") -> runs.RunRecord:
    if not reason.strip():
        raise RunRefused("a resume needs a reason; it is recorded in the audit log")
    with _connector_lock(ctx, run_id), begin_write(ctx.engine) as conn:
        run = _blocked_run(conn, run_id)
        version = runs.lock_connector(conn, run.connector)
        if version != run.base_version:
            raise RunRefused(f"the repository of {run.connector} changed since run {run_id} was "
                             "staged: its changes no longer apply; run a complete "
                             "synchronization instead")
        staged = staged_changes(conn, run_id)
        apply_changes(conn, staged, run_id)
        conn.execute(sa.update(connector_state).where(connector_state.c.connector == run.connector)
                     .values(version=connector_state.c.version + 1, blocked_run_id=None))
        _, project = ctx.deployed()
        connector = project.connector(run.connector)
        types = [et.identifier for et in connector.entity_types] if connector else []
        snapshots.refresh(conn, types, staged, version, version + 1, {}, initial=False)
        # As the blocked run would have: an incremental one evaluates the sources it changed.
        only = staged.touched() if run.mode == "incremental" else None
        orders = run_policy(conn, project, connector, run_id, only=only) if connector else []
        if run.mode != "incremental":
            for f in run.files:
                remember_file(conn, run.connector, run_id, f)
        counters = dict(run.counters)
        if connector:
            split_link_counters(counters, record_pending(conn, run_id, connector, staged.links))
        if orders:
            counters["orders"] = order_counts(orders)
        runs.add_log(conn, run_id, "warning", f"resumed by {actor}: {reason}")
        runs.audit(conn, actor, "resume", f"run {run_id}", reason)
        runs.finish_run(conn, run_id, runs.WARNINGS, f"resumed by {actor}: {reason}",
                     counters=counters)
        return runs.get_run(conn, run_id)


def cancel(ctx: ProjectContext, run_id: int, reason: str | None, actor: str = "cli"
           ) -> runs.RunRecord:
    with _connector_lock(ctx, run_id), begin_write(ctx.engine) as conn:
        run = _blocked_run(conn, run_id)
        runs.lock_connector(conn, run.connector)
        conn.execute(sa.update(connector_state).where(connector_state.c.connector == run.connector)
                     .values(blocked_run_id=None))
        message = f"cancelled by {actor}" + (f": {reason}" if reason else "")
        runs.add_log(conn, run_id, "info", message)
        runs.audit(conn, actor, "cancel", f"run {run_id}", reason)
        runs.finish_run(conn, run_id, runs.CANCELLED, message)
        return runs.get_run(conn, run_id)
